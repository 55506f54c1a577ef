import ChannelKit
import Conversations
import Foundation
import Logging
import SamenspraakCore
import Storage

/// Delivers the outbox's Matrix rows through the shared `OutboxSender` (in order per room, paced, retried, never twice):
/// M_LIMIT_EXCEEDED waits `retry_after_ms`, 5xx and network errors retry with growing backoff, M_FORBIDDEN (the bot was
/// kicked from the room, or banned) marks the room unreachable, other 4xx fail with the errcode.
public struct MatrixSender: Sendable {
    public typealias Limits = OutboxLimits

    let sender: OutboxSender<MatrixTransport>

    /// With `crypto`, messages to encrypted rooms go Megolm-encrypted.
    public init(api: MatrixClient, service: ConversationService, limits: Limits = Limits(perSecond: 10), crypto: MatrixCrypto? = nil, logger: Logger) {
        sender = OutboxSender(channel: .matrix, transport: MatrixTransport(api: api, crypto: crypto), service: service, limits: limits, logger: logger)
    }

    /// Runs until the task is cancelled.
    public func run() async { await sender.run() }
}

/// Sends one row as room messages, each with a transaction id made of the row's id, so sending it again (a retry after
/// a timeout whose request did arrive) gives the same event rather than a second message.
struct MatrixTransport: OutboxTransport {
    let api: MatrixClient
    let crypto: MatrixCrypto?

    static var isIdempotent: Bool { true }

    func send(_ row: OutboxRecord, _ message: OutboundMessage) async -> DeliveryOutcome {
        guard let id = row.id else { return .unreadable }
        do {
            var eventID = ""
            for (index, content) in MatrixRendering.contents(for: message).enumerated() {
                let transactionID = MatrixRendering.transactionID(outboxID: id, part: index)
                if let crypto {
                    eventID = try await crypto.send(room: row.address, content: content, transactionID: transactionID)
                } else {
                    eventID = try await api.send(room: row.address, content: content, transactionID: transactionID)
                }
            }
            return .sent(platformMessageID: eventID)
        } catch let error as MatrixError {
            return .failed(error.delivery)
        } catch let error as OlmError {
            // Encryption itself failed (not the network): trying again later is all there is.
            return .failed(.unavailable("\(error)"))
        } catch {
            return .failed(.unavailable("\(type(of: error))"))
        }
    }
}
