import ChannelKit
import Conversations
import Dialogue
import Foundation
import Logging
import SamenspraakCore

/// One message a person texted to the school's number, as Twilio posts it (the fields Samenspraak reads).
public struct InboundSMS: Sendable, Equatable {
    /// "SM…" (SmsSid on older requests): the same id comes again when Twilio posts the message a second time.
    public var messageSID: String
    /// The sender's number in E.164 ("+31612345678"): the contact's address. Never logged.
    public var from: String
    public var body: String
    /// Photos and other attachments (MMS): NumMedia, with MediaUrl0… which are not fetched.
    public var mediaCount: Int
    /// STOP, START or HELP when a Messaging Service's Advanced Opt-Out recognised the message as one of its keywords.
    public var optOutType: String?

    public init(messageSID: String, from: String, body: String, mediaCount: Int = 0, optOutType: String? = nil) {
        self.messageSID = messageSID
        self.from = from
        self.body = body
        self.mediaCount = mediaCount
        self.optOutType = optOutType
    }
}

/// Turns texted messages into conversation steps. A first message containing a valid invite code binds the sender's
/// number to the household (or, with a staff invite, to a teacher); anyone else unknown is told how to get one.
///
/// STOP and the other opt-out words (and START, YES, UNSTOP) are answered by Twilio itself, which from then on refuses
/// to send this person anything until they opt in again (error 21610). Samenspraak records them as the conversation's
/// own "stop" and "start" do (no reminders, nudges or notices; reminders planned again) but queues no reply of its own,
/// which Twilio would refuse or which would repeat Twilio's. HELP and INFO get our help text.
public struct SMSInbound: Sendable {
    public let service: ConversationService
    let api: TwilioClient
    let logger: Logger
    static let channel = ChannelKind.sms.rawValue

    public init(service: ConversationService, api: TwilioClient, logger: Logger) {
        self.service = service
        self.api = api
        self.logger = logger
    }

    /// What a message says, and whether Twilio has already answered it.
    enum Meaning: Equatable {
        case content(InboundContent)
        /// STOP or START: recorded without a reply of ours.
        case answeredByTwilio(InboundContent)
    }

    /// Handles one message; when this returns its step is committed (or it was a duplicate).
    public func handle(_ message: InboundSMS) async throws {
        let hint = PhoneChannel.languageHint(for: message.from)
        let meaning = try await meaning(of: message)
        var outcome: ConversationService.Outcome
        switch meaning {
        case .answeredByTwilio(let content):
            let event = InboundEvent(channel: .sms, address: message.from, platformMessageID: message.messageSID, content: content, languageHint: hint)
            outcome = try await service.handle(event, answeredByPlatform: true)
        case .content(let content):
            let event = InboundEvent(channel: .sms, address: message.from, platformMessageID: message.messageSID, content: content, languageHint: hint)
            outcome = try await service.handleBindingInviteCode(event)
        }
        guard outcome == .unknownSender else { return }
        // Recorded (without text or sender) so a second delivery of the same message is not answered twice.
        let now = service.clock.now()
        let first = try await service.database.write { tx in
            try tx.recordInbound(channel: Self.channel, platformMessageID: message.messageSID, contactID: nil, text: nil, at: now)
        }
        // Someone we do not know who opted out or in has had Twilio's answer; anyone else is told how to get a code.
        // Not awaited: the webhook's answer to Twilio does not wait for another request to Twilio.
        if first, case .content = meaning { Task { [self] in await answerDirectly(message.from, "sms.need_invite", hint: hint) } }
    }

    func meaning(of message: InboundSMS) async throws -> Meaning {
        switch SMSKeyword(body: message.body, optOutType: message.optOutType) {
        case .optOut?:
            return .answeredByTwilio(.choice(DialogueEngine.commandChoiceID("stop")))
        case .optIn? where message.optOutType != nil || !SMSKeyword.isOnlyOptInWhenStopped(message.body):
            return .answeredByTwilio(.choice(DialogueEngine.commandChoiceID("start")))
        case .optIn?:
            let contact = try await service.database.read { try $0.contact(channel: Self.channel, address: message.from) }
            if contact?.stoppedAt != nil { return .answeredByTwilio(.choice(DialogueEngine.commandChoiceID("start"))) }
        case .help?:
            return .content(.choice(DialogueEngine.commandChoiceID("help")))
        case nil:
            break
        }
        if message.mediaCount > 0 { return .content(.unsupported) }
        if message.body.trimmingCharacters(in: .whitespacesAndNewlines).typedNumber != nil {
            let last = try await service.database.read { try $0.lastSentOutbox(channel: Self.channel, address: message.from) }
            if let last, let sent = OutboundMessage(json: last.payload),
               let choice = SMSRendering.commandChoice(typed: message.body, after: sent) {
                return .content(.choice(choice))
            }
        }
        return .content(.text(message.body))
    }

    /// A reply to someone who is not (yet) a known parent: not stored, in the language their number suggests.
    func answerDirectly(_ address: String, _ key: String, hint: String?) async {
        let reply = service.reply(key, language: service.localizer.supported(hint))
        do {
            for body in SMSRendering.bodies(for: reply) { _ = try await api.send(to: address, body: body) }
        } catch {
            logger.warning("SMS answer to an unknown sender failed", metadata: ["error": "\(error)"])
        }
    }
}
