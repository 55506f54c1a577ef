import ChannelKit
import Conversations
import Foundation
import Logging
import SamenspraakCore
import Storage

/// The webhooks Twilio calls: `<public-url>/sms/twilio` with each message a person texts to the school's number, and
/// `<public-url>/sms/twilio/status` with what became of each message sent (its StatusCallback). Both are form-encoded
/// and signed: X-Twilio-Signature is checked against the URL Twilio called (the public URL and the path) and every
/// parameter before anything is acted on. A message is answered with empty TwiML (`<Response/>`), so Twilio sends
/// nothing of its own; our replies go through the outbox.
public struct TwilioWebhook: Sendable {
    public static let path = "/sms/twilio"
    public static let statusPath = "/sms/twilio/status"
    /// Twilio's requests are a few kilobytes (a body of at most 1,600 characters, up to ten media addresses).
    public static let maximumBodySize = 64 * 1024
    /// The answer to a message: do nothing.
    public static let emptyTwiML = #"<?xml version="1.0" encoding="UTF-8"?><Response/>"#

    let inbound: SMSInbound
    let accountSID: String
    let authToken: String
    /// `public_url` without a trailing slash: what Twilio calls, and so what it signs.
    let publicURL: String
    let logger: Logger
    static let channel = ChannelKind.sms.rawValue

    public init(inbound: SMSInbound, accountSID: String, authToken: String, publicURL: String, logger: Logger) {
        self.inbound = inbound
        self.accountSID = accountSID
        self.authToken = authToken
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.logger = logger
    }

    var service: ConversationService { inbound.service }

    /// A request's parameters once they are known to come from Twilio, or the answer when they cannot be trusted or read.
    enum Checked {
        case fields([String: String])
        case refused(WebhookAnswer)
    }

    /// Checks the signature and reads the parameters (by name; Twilio sends each once).
    func parameters(path: String, body: Data, signature: String?) -> Checked {
        guard let signature, !signature.isEmpty else { return .refused(.unauthorized) }
        guard let pairs = FormBody.decode(body) else { return .refused(.badRequest("The body is not form-encoded.")) }
        guard TwilioSignature.isValid(signature, url: publicURL + path, parameters: pairs, authToken: authToken) else { return .refused(.unauthorized) }
        let fields = Dictionary(pairs.map { ($0.name, $0.value) }) { first, _ in first }
        guard fields["AccountSid"] == accountSID else { return .refused(.badRequest("The AccountSid is not this school's account.")) }
        return .fields(fields)
    }

    /// A message texted to the school; `requestLogger` carries the HTTP request's id.
    public func receiveMessage(body: Data, signature: String?, requestLogger: Logger? = nil) async -> WebhookAnswer {
        let fields: [String: String]
        switch parameters(path: Self.path, body: body, signature: signature) {
        case .fields(let parsed): fields = parsed
        case .refused(let answer): return answer
        }
        guard let sid = fields["MessageSid"] ?? fields["SmsSid"], !sid.isEmpty, let from = fields["From"], !from.isEmpty else {
            return .badRequest("MessageSid and From are required.")
        }
        let media = Int(fields["NumMedia"] ?? "0") ?? 0
        let message = InboundSMS(messageSID: sid, from: from, body: fields["Body"] ?? "", mediaCount: media, optOutType: fields["OptOutType"])
        do {
            try await inbound.handle(message)
            service.monitoring.activity.record(.smsWebhook)
            return .ok
        } catch {
            (requestLogger ?? logger).error("SMS not stored", metadata: ["error": "\(error)"])
            return .retryLater
        }
    }

    /// A status callback: sent and delivered become the row's receipt; undelivered and failed fail the row with
    /// Twilio's error code, and 21610 (the person opted out) marks them unreachable. Other statuses (queued, sending…)
    /// and ids we do not know change nothing.
    public func receiveStatus(body: Data, signature: String?, requestLogger: Logger? = nil) async -> WebhookAnswer {
        let fields: [String: String]
        switch parameters(path: Self.statusPath, body: body, signature: signature) {
        case .fields(let parsed): fields = parsed
        case .refused(let answer): return answer
        }
        guard let sid = fields["MessageSid"] ?? fields["SmsSid"], !sid.isEmpty, let status = fields["MessageStatus"] ?? fields["SmsStatus"] else {
            return .badRequest("MessageSid and MessageStatus are required.")
        }
        let code = fields["ErrorCode"].flatMap { Int($0) }
        let now = service.clock.now()
        do {
            try await service.database.write { [service] tx in
                switch status {
                case "sent", "delivered", "read":
                    try tx.recordDeliveryReport(channel: Self.channel, platformMessageID: sid, .receipt(status), at: now)
                case "undelivered", "failed":
                    let reason = "SMS \(status): " + (code.map { "Twilio error \($0): " + TwilioError.meaning(code: $0) } ?? "no reason given")
                    try tx.recordDeliveryReport(channel: Self.channel, platformMessageID: sid, .failed(reason), at: now)
                    // The number unsubscribed from ours: true whether or not the report found its row yet.
                    if code == TwilioError.unsubscribed, let to = fields["To"] {
                        try tx.markUnreachable(channel: Self.channel, address: to, at: now)
                        try service.reachabilityChanged(channel: .sms, address: to, tx: tx, now: now)
                    }
                default:
                    break
                }
            }
            service.monitoring.activity.record(.smsWebhook)
            return .ok
        } catch {
            (requestLogger ?? logger).error("SMS status not stored", metadata: ["error": "\(error)"])
            return .retryLater
        }
    }
}
