import ChannelKit
import Conversations
import Foundation
import Logging
import SamenspraakCore
import Storage

/// Delivers the outbox's SMS rows through the shared `OutboxSender` (in order per number, paced, retried, never twice)
/// and Twilio. Each part's segment count and encoding is logged (never its text or the number): a text with one
/// Arabic letter or emoji costs two to three times the segments of the same length in GSM-7.
public struct SMSSender: Sendable {
    public typealias Limits = OutboxLimits

    let sender: OutboxSender<SMSTransport>

    /// Twilio queues what a number cannot send at once (about one segment per second for a long code), so the pace
    /// here only spares the API.
    public init(api: TwilioClient, service: ConversationService, limits: Limits = Limits(perSecond: 10), logger: Logger) {
        sender = OutboxSender(channel: .sms, transport: SMSTransport(api: api, logger: logger), service: service, limits: limits, logger: logger)
    }

    /// Runs until the task is cancelled.
    public func run() async { await sender.run() }
}

struct SMSTransport: OutboxTransport {
    let api: TwilioClient
    let logger: Logger

    static var reportsDelivery: Bool { true }

    func send(_ row: OutboxRecord, _ message: OutboundMessage) async -> DeliveryOutcome {
        do {
            var sid = ""
            for body in SMSRendering.bodies(for: message) {
                sid = try await api.send(to: row.address, body: body)
                let segments = SMSSegments(body)
                logger.info("SMS sent", metadata: ["outbox": "\(row.id ?? 0)", "segments": "\(segments.count)", "encoding": "\(segments.encoding.rawValue)"])
            }
            return .sent(platformMessageID: sid)
        } catch {
            return .failed(error.delivery)
        }
    }
}
