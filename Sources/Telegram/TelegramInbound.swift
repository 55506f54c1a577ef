import Conversations
import Foundation
import Logging
import SamenspraakCore

/// Turns one Telegram update into a conversation step (or a short direct answer). When this returns, the update's
/// effect is committed and its inbox row (if the poller stored one) is marked processed; the webhook answers 200 only then.
public struct TelegramInbound: Sendable {
    let service: ConversationService
    let api: BotAPIClient
    /// Sends a step's replies as soon as it is committed; without it they wait for the sender's next pass.
    let replies: TelegramSender?
    let logger: Logger

    public init(service: ConversationService, api: BotAPIClient, replies: TelegramSender? = nil, logger: Logger) {
        self.service = service
        self.api = api
        self.replies = replies
        self.logger = logger
    }

    /// The chat an update belongs to: updates of one chat are handled in order, different chats in parallel.
    public static func chat(of update: Update) -> Int64? {
        update.message?.chat.id ?? update.callbackQuery?.message?.chat.id ?? update.myChatMember?.chat.id ?? update.editedMessage?.chat.id
    }

    /// The inbox id of an update.
    public static func platformID(_ update: Update) -> String { "update:\(update.updateID)" }

    /// How a pressed button's spinner is stopped: by a request of ours, or (webhook mode) by naming answerCallbackQuery
    /// in the answer to Telegram's request, which saves that request; neither's outcome matters to the step.
    public enum CallbackAnswer: Sendable { case request, inWebhookAnswer }

    public func handle(_ update: Update, callbackAnswer: CallbackAnswer = .request) async throws {
        let platformID = Self.platformID(update)
        var stepped = false
        if let callback = update.callbackQuery {
            stepped = try await handle(callback, platformID: platformID, answer: callbackAnswer)
        } else if let membership = update.myChatMember {
            try await handle(membership)
        } else if let message = update.message {
            stepped = try await handle(message, platformID: platformID)
        }
        // An edited message would re-run a step the parent already took: ignored on purpose.
        if !stepped {
            // No conversation step recorded it; a stored copy (long polling) must not be handled again after a restart.
            let now = Date()
            try await service.database.write { try $0.markProcessed(channel: ChannelKind.telegram.rawValue, platformMessageID: platformID, at: now) }
        }
    }

    /// Returns whether a conversation step took the message (and so recorded it in the inbox).
    func handle(_ message: Message, platformID: String) async throws -> Bool {
        let chatID = String(message.chat.id)
        let hint = message.from?.languageCode
        guard message.chat.type == "private" else {
            // Groups would expose families to each other; answer commands only, so a group is not flooded.
            if message.text?.hasPrefix("/") == true { await answerDirectly(chatID, "telegram.private_only", hint: hint) }
            return false
        }
        var outcome: ConversationService.Outcome
        let claiming = claimableReplies(to: chatID)
        if let text = message.text, text == "/start" || text.hasPrefix("/start ") {
            let payload = text.dropFirst("/start".count).trimmingCharacters(in: .whitespaces)
            let menu = InboundEvent(channel: .telegram, address: chatID, platformMessageID: platformID, content: .text("menu"), languageHint: hint)
            if payload.isEmpty {
                // Opening the bot again without a code: show the menu to a known parent.
                outcome = try await service.handle(menu, claiming: claiming)
            } else {
                outcome = try await service.start(channel: .telegram, address: chatID, platformMessageID: platformID, inviteCode: payload, languageHint: hint,
                                                  claiming: claiming)
                if outcome == .unknownSender {
                    // An old or mistyped link from a parent we already know: their menu, not "you need a link".
                    outcome = try await service.handle(menu, claiming: claiming)
                }
            }
        } else {
            let content: InboundContent = message.text.map { .text($0) } ?? .unsupported
            outcome = try await service.handle(InboundEvent(channel: .telegram, address: chatID, platformMessageID: platformID, content: content, languageHint: hint),
                                               claiming: claiming)
        }
        if outcome == .unknownSender { await answerDirectly(chatID, "telegram.need_invite", hint: hint) }
        await replies?.sendReplies(of: outcome)
        return outcome != .unknownSender
    }

    func handle(_ callback: CallbackQuery, platformID: String, answer: CallbackAnswer) async throws -> Bool {
        guard answer == .request else { return try await step(callback, platformID: platformID) }
        // Stops the button's spinner while the step runs. Awaited, like every call here, so the calls under way are
        // bounded by the updates being handled.
        async let answered: Void = bestEffort("answerCallbackQuery") { try await api.answerCallbackQuery(id: callback.id) }
        let stepped: Bool
        do { stepped = try await step(callback, platformID: platformID) } catch {
            await answered
            throw error
        }
        await answered
        return stepped
    }

    func step(_ callback: CallbackQuery, platformID: String) async throws -> Bool {
        guard let data = callback.data, let message = callback.message else { return false }
        let chatID = String(message.chat.id)
        let outcome = try await service.handle(InboundEvent(channel: .telegram, address: chatID, platformMessageID: platformID,
                                                            content: TelegramKeyboard.content(forCallbackData: data), languageHint: callback.from.languageCode),
                                               claiming: claimableReplies(to: chatID))
        guard case .handled(_, _, _, _, let claimed) = outcome else { return outcome != .unknownSender }
        // Show what was chosen and take the buttons away, so an old question cannot be answered twice: the reply sent
        // at once goes in the question's place, else the question is edited while the reply goes (or waits its turn).
        guard let pressed = PressedQuestion(message, data: data) else {
            await replies?.sendReplies(of: outcome)
            return true
        }
        if let replies, !claimed.isEmpty {
            await replies.sendReplies(of: outcome, inPlaceOf: pressed) { await showChoice(pressed, in: chatID) }
        } else {
            async let edited: Void = showChoice(pressed, in: chatID)
            await replies?.sendReplies(of: outcome)
            await edited
        }
        return true
    }

    func showChoice(_ pressed: PressedQuestion, in chatID: String) async {
        await bestEffort("editMessageText") {
            try await api.editMessageText(chatID: chatID, messageID: pressed.messageID, text: pressed.answered)
        }
    }

    func handle(_ membership: ChatMemberUpdated) async throws {
        guard membership.chat.type == "private" else { return }
        let chatID = String(membership.chat.id)
        let now = service.clock.now()
        switch membership.newChatMember.status {
        case "kicked":
            try await service.database.write { [service] tx in
                try tx.markUnreachable(channel: ChannelKind.telegram.rawValue, address: chatID, at: now)
                try service.reachabilityChanged(channel: .telegram, address: chatID, tx: tx, now: now)
            }
            logger.info("a Telegram contact blocked the bot; marked unreachable")
        case "member":
            try await service.database.write { [service] tx in
                try tx.markReachable(channel: ChannelKind.telegram.rawValue, address: chatID)
                try service.reachabilityChanged(channel: .telegram, address: chatID, tx: tx, now: now)
            }
        default:
            break
        }
    }

    func claimableReplies(to chatID: String) -> ConversationService.ClaimedReplies { replies?.claimableReplies(to: chatID) ?? .none }

    /// A reply to someone who is not (yet) a known parent: not stored, in the language Telegram reports.
    func answerDirectly(_ chatID: String, _ key: String, hint: String?) async {
        let message = service.reply(key, language: service.localizer.supported(hint))
        await bestEffort("sendMessage") { _ = try await api.sendMessage(chatID: chatID, text: message.text, keyboard: nil) }
    }

    func bestEffort(_ what: String, _ body: () async throws -> Void) async {
        do { try await body() } catch { logger.warning("Telegram \(what) failed", metadata: ["error": "\(error)"]) }
    }
}
