import ChannelKit
import Conversations
import Foundation
import Logging
import SamenspraakCore
import Storage

/// Delivers the outbox's Telegram rows through the shared `OutboxSender` (in order per chat, paced, retried, never
/// twice): at most one message per `perChatInterval` to a chat and `perSecond` overall, honouring 429's
/// retry_after, retrying network errors and 5xx with growing backoff, giving up on other 4xx, and marking people who
/// blocked the bot unreachable.
public struct TelegramSender: Sendable {
    public typealias Limits = OutboxLimits

    let sender: OutboxSender<TelegramTransport>
    let transport: TelegramTransport

    public init(api: BotAPIClient, service: ConversationService, limits: Limits = Limits(), logger: Logger) {
        transport = TelegramTransport(api: api)
        sender = OutboxSender(channel: .telegram, transport: transport, service: service, limits: limits, logger: logger)
    }

    /// Runs until the task is cancelled.
    public func run() async { await sender.run() }

    /// What a step may claim of its replies to `chatID`, for `sendReplies` to send at once.
    func claimableReplies(to chatID: String) -> ConversationService.ClaimedReplies { sender.claimableReplies(to: chatID) }

    func sendReplies(of outcome: ConversationService.Outcome) async { await sender.sendReplies(of: outcome) }

    /// Sends the replies a step claimed after a pressed button, the first in place of the pressed question; when it
    /// cannot go there, `showChoice` edits the question and the reply goes as a new message.
    func sendReplies(of outcome: ConversationService.Outcome, inPlaceOf pressed: PressedQuestion,
                     otherwise showChoice: @escaping @Sendable () async -> Void) async {
        await sender.sendReplies(of: outcome, firstBy: { [transport] row, message in
            if let outcome = await transport.send(row, message, inPlaceOf: pressed) { return outcome }
            await showChoice()
            return await transport.send(row, message)
        })
    }
}

/// Sends one row as Telegram messages: in parts if long, the buttons with the last part.
struct TelegramTransport: OutboxTransport {
    let api: BotAPIClient

    func send(_ row: OutboxRecord, _ message: OutboundMessage) async -> DeliveryOutcome {
        let parts = TelegramKeyboard.parts(of: message.text)
        do {
            var sentID: Int64 = 0
            for (index, part) in parts.enumerated() {
                sentID = try await api.sendMessage(chatID: row.address, text: part,
                                                   keyboard: index == parts.count - 1 ? TelegramKeyboard.markup(for: message.choices) : nil)
            }
            return .sent(platformMessageID: String(sentID))
        } catch {
            return .failed(BotAPIError.delivery(of: error))
        }
    }
}

extension TelegramTransport {
    /// A reply to a pressed button in place of the question: the pressed message is edited to keep its text, show the
    /// choice and then the reply with the reply's buttons. One request instead of an edit and a new message, and the
    /// old buttons are gone all the same; a booking's questions and confirmation read as one message. Nil when that
    /// would not fit one message or Telegram refuses the edit (a deleted message, say): then the caller shows the
    /// choice and sends the reply as a new message. Edits make no sound; the parent is in the chat, pressing.
    func send(_ row: OutboxRecord, _ message: OutboundMessage, inPlaceOf pressed: PressedQuestion) async -> DeliveryOutcome? {
        let text = pressed.followed(by: message.text)
        guard text.utf16.count <= TelegramKeyboard.maximumTextLength else { return nil }
        do {
            try await api.editMessageText(chatID: row.address, messageID: pressed.messageID, text: text,
                                          keyboard: TelegramKeyboard.markup(for: message.choices), wait: BotAPIClient.sendWait)
            return .sent(platformMessageID: String(pressed.messageID))
        } catch BotAPIError.rejected {
            return nil
        } catch {
            return .failed(BotAPIError.delivery(of: error))
        }
    }
}

extension BotAPIError {
    /// What the outbox sender does about a failed call (the client throws its own errors only, but Swift cannot tell).
    static func delivery(of error: any Error) -> DeliveryFailure {
        (error as? BotAPIError)?.delivery ?? .unavailable("\(type(of: error))")
    }

    /// What the outbox sender does about it.
    var delivery: DeliveryFailure {
        switch self {
        case .rateLimited(let seconds): .rateLimited(retryAfter: .seconds(seconds), scope: .channel, reason: description)
        case .blocked(let reason): .blocked(reason)
        case .rejected: .rejected(description)
        case .unavailable(let reason): .unavailable(reason)
        }
    }
}
