import Logging

/// Long polling: asks Telegram for updates, handles them (each committed through the inbox), and only then
/// confirms them by asking with a higher offset. A crash before that means Telegram hands them out again,
/// and the inbox recognises them by update id.
public struct TelegramPoller: Sendable {
    let api: BotAPIClient
    let inbound: TelegramInbound
    let logger: Logger
    /// Seconds Telegram holds a getUpdates request open when there is nothing new.
    let pollTimeout: Int

    public init(api: BotAPIClient, inbound: TelegramInbound, logger: Logger, pollTimeout: Int = 25) {
        self.api = api
        self.inbound = inbound
        self.logger = logger
        self.pollTimeout = pollTimeout
    }

    /// Runs until the task is cancelled.
    public func run() async {
        var offset: Int64 = 0
        var backoff = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                let updates = try await api.getUpdates(offset: offset, timeout: pollTimeout)
                try await handleInChatOrder(updates)
                if let last = updates.map(\.updateID).max() { offset = last + 1 }
                backoff = .seconds(1)
            } catch BotAPIError.rejected(409, _) {
                // A webhook is still set (the daemon ran in webhook mode before): remove it, then poll.
                logger.info("Telegram: removing the webhook to switch to long polling")
                do { try await api.deleteWebhook() } catch { try? await Task.sleep(for: backoff) }
            } catch {
                if Task.isCancelled { return }
                logger.warning("Telegram getUpdates failed; trying again", metadata: ["error": "\(error)", "wait": "\(backoff)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }

    /// Updates of one chat in the order sent; different chats at the same time (they share group commits).
    func handleInChatOrder(_ updates: [Update]) async throws {
        let byChat = Dictionary(grouping: updates) { TelegramInbound.chat(of: $0) ?? 0 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chatUpdates in byChat.values {
                group.addTask { for update in chatUpdates.sorted(by: { $0.updateID < $1.updateID }) { try await inbound.handle(update) } }
            }
            try await group.waitForAll()
        }
    }
}
