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

    public init(api: BotAPIClient, service: ConversationService, limits: Limits = Limits(), logger: Logger) {
        sender = OutboxSender(channel: .telegram, transport: TelegramTransport(api: api), service: service, limits: limits, logger: logger)
    }

    /// Runs until the task is cancelled.
    public func run() async { await sender.run() }

    /// What a step may claim of its replies to `chatID`, for `sendReplies` to send at once.
    func claimableReplies(to chatID: String) -> ConversationService.ClaimedReplies { sender.claimableReplies(to: chatID) }

    func sendReplies(of outcome: ConversationService.Outcome) async { await sender.sendReplies(of: outcome) }
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
        } catch let error as BotAPIError {
            return .failed(error.delivery)
        } catch {
            return .failed(.unavailable("\(type(of: error))"))
        }
    }
}

extension BotAPIError {
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
