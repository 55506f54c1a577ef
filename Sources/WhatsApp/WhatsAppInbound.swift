import ChannelKit
import Conversations
import Foundation
import Logging
import SamenspraakCore

/// Turns the messages of a webhook POST into conversation steps. A first message containing a valid invite code (the
/// wa.me link in the invitation pre-fills it) binds the sender's WhatsApp number to the household; anyone else unknown
/// is told how to get one. The sender's number is the contact's address and is never logged.
public struct WhatsAppInbound: Sendable {
    let service: ConversationService
    let api: GraphAPIClient
    let logger: Logger
    static let channel = ChannelKind.whatsapp.rawValue

    public init(service: ConversationService, api: GraphAPIClient, logger: Logger) {
        self.service = service
        self.api = api
        self.logger = logger
    }

    /// What a message says, or nil for what needs no answer (a reaction, a system notice about a changed number).
    static func content(of message: InboundMessage) -> InboundContent? {
        switch message.type {
        case "text":
            return message.text.map { .text($0.body) } ?? .unsupported
        case "interactive":
            guard let reply = message.interactive?.buttonReply ?? message.interactive?.listReply else { return .unsupported }
            return WhatsAppRendering.content(forReplyID: reply.id)
        case "button":
            // A template's quick-reply button: its text, as if typed.
            return (message.button?.text).map { .text($0) } ?? .unsupported
        case "reaction", "system", "request_welcome":
            return nil
        default:
            // image, audio, video, document, sticker, location, contacts, order, unsupported …: "I can only read text".
            return .unsupported
        }
    }

    /// Handles one message; when this returns its step is committed (or it was a duplicate).
    public func handle(_ message: InboundMessage) async throws {
        guard let content = Self.content(of: message) else { return }
        let hint = PhoneChannel.languageHint(for: message.from)
        let event = InboundEvent(channel: .whatsapp, address: message.from, platformMessageID: message.id, content: content, languageHint: hint)
        let outcome = try await service.handleBindingInviteCode(event)
        guard outcome == .unknownSender else { return }
        // Recorded (without text or sender) so a second delivery of the same message is not answered twice.
        let now = service.clock.now()
        let first = try await service.database.write { tx in
            try tx.recordInbound(channel: Self.channel, platformMessageID: message.id, contactID: nil, text: nil, at: now)
        }
        // Not awaited: the webhook's answer to Meta does not wait for another request to Meta.
        if first { Task { [self] in await answerDirectly(message.from, "whatsapp.need_invite", hint: hint) } }
    }

    /// A reply to someone who is not (yet) a known parent: not stored, in the language their number suggests.
    func answerDirectly(_ address: String, _ key: String, hint: String?) async {
        let reply = service.reply(key, language: service.localizer.supported(hint))
        do {
            for message in WhatsAppRendering.text(reply.text, to: address) { _ = try await api.send(message) }
        } catch {
            logger.warning("WhatsApp answer to an unknown sender failed", metadata: ["error": "\(error)"])
        }
    }
}
