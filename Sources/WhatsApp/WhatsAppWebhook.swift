import ChannelKit
import Conversations
import Foundation
import Logging
import SamenspraakCore
import Storage

/// The webhook Meta calls (`<public-url>/whatsapp/webhook`). GET is the verification handshake when the school
/// registers the URL: `hub.mode=subscribe` with the verify token the school chose is answered with `hub.challenge`.
/// POST carries messages and status updates, signed: X-Hub-Signature-256 is "sha256=" and the HMAC-SHA256 of the raw
/// body with the app secret, checked in constant time before the body is read. The answer is 200 only once every
/// message's step and status is committed; otherwise Meta delivers again (and the inbox ignores repeats).
public struct WhatsAppWebhook: Sendable {
    public static let path = "/whatsapp/webhook"
    public static let signatureHeader = "X-Hub-Signature-256"
    /// Meta's payloads are a few kilobytes; anything far bigger is not from Meta.
    public static let maximumBodySize = 256 * 1024

    let inbound: WhatsAppInbound
    let appSecret: String
    let verifyToken: String
    let phoneNumberID: String
    let logger: Logger
    static let channel = ChannelKind.whatsapp.rawValue

    public init(inbound: WhatsAppInbound, appSecret: String, verifyToken: String, phoneNumberID: String, logger: Logger) {
        self.inbound = inbound
        self.appSecret = appSecret
        self.verifyToken = verifyToken
        self.phoneNumberID = phoneNumberID
        self.logger = logger
    }

    /// The challenge to echo, or nil (403) when the mode or the verify token is wrong.
    public func verify(mode: String?, token: String?, challenge: String?) -> String? {
        guard mode == "subscribe", let token, WebhookSecurity.constantTimeEqual(token, verifyToken), let challenge else { return nil }
        return challenge
    }

    /// Handles one POSTed body; `requestLogger` carries the HTTP request's id.
    public func receive(body: Data, signature: String?, requestLogger: Logger? = nil) async -> WebhookAnswer {
        guard WebhookSecurity.validSHA256Signature(signature, body: body, secret: appSecret) else { return .unauthorized }
        let payload: WebhookPayload
        do { payload = try JSONDecoder().decode(WebhookPayload.self, from: body) } catch {
            return .badRequest("The body is not a WhatsApp webhook payload.")
        }
        guard payload.object == "whatsapp_business_account" else { return .badRequest("The object is not whatsapp_business_account.") }
        // Only our own number's messages (one Meta app may serve several numbers).
        let values = payload.entry.flatMap(\.changes).filter { $0.field == "messages" }.map(\.value)
            .filter { $0.metadata?.phoneNumberID.map { $0 == phoneNumberID } ?? true }
        do {
            let statuses = values.flatMap { $0.statuses ?? [] }
            if !statuses.isEmpty { try await record(statuses) }
            for message in values.flatMap({ $0.messages ?? [] }) { try await inbound.handle(message) }
            inbound.service.monitoring.activity.record(.whatsappWebhook)
            return .ok
        } catch {
            (requestLogger ?? logger).error("WhatsApp webhook not stored; Meta will deliver it again", metadata: ["error": "\(error)"])
            return .retryLater
        }
    }

    /// Applies status callbacks to the outbox rows they name, in one commit; a 131047 failure queues the message
    /// again, to go as its template.
    func record(_ statuses: [MessageStatus]) async throws {
        let now = inbound.service.clock.now()
        let requeued = try await inbound.service.database.write { tx in
            var requeued = 0
            for status in statuses {
                switch status.status {
                case "sent", "delivered", "read":
                    try tx.recordDeliveryReport(channel: Self.channel, platformMessageID: status.id, .receipt(status.status), at: now)
                case "failed":
                    let error = status.errors?.first
                    let reason = "WhatsApp: " + (error?.reason ?? "failed")
                    if error?.code == GraphAPIError.reEngagement,
                       try tx.recordDeliveryReport(channel: Self.channel, platformMessageID: status.id,
                                                   .needsTemplate(reason + " (sent again as a template)"), at: now) {
                        requeued += 1
                    } else {
                        try tx.recordDeliveryReport(channel: Self.channel, platformMessageID: status.id, .failed(reason), at: now)
                    }
                default:
                    break
                }
            }
            return requeued
        }
        if requeued > 0 { await inbound.service.wakeups.signal(Wakeups.channelKey(.whatsapp)) }
    }
}
