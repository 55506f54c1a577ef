import ChannelKit
import Foundation
import Logging
import SamenspraakCore

/// Long polling: asks Telegram for updates, stores each batch in the inbox in one commit and only then confirms
/// it (the next request's offset), so the next batch can be fetched while this one is still being handled.
/// The handling starts at once, beside the storing.
/// Updates of one chat are handled in order, different chats at the same time. A crash after storing and before
/// handling loses nothing: at start, stored updates that were never handled are handled first.
public struct TelegramPoller: Sendable {
    let api: BotAPIClient
    let inbound: TelegramInbound
    let logger: Logger
    /// Seconds Telegram holds a getUpdates request open when there is nothing new.
    let pollTimeout: Int
    /// Updates received and not yet handled (their replies sent) at most: the next getUpdates asks for no more than
    /// what fits, and waits while none does. What the daemon cannot take yet waits at Telegram, not in memory here,
    /// and an update handed out is answered within about this many updates' handling. More under way makes bigger
    /// group commits (less work a step) but a longer wait for each update. Under the load benchmark (1,000 parents
    /// without think time), once a reply to a press took one request: 75 gave 2,786 steps a second with p99 30 ms, 100
    /// 2,874–2,991 with p99 37 ms, 120 3,031–3,158 with p99 41–43 ms (the target is 50).
    let maximumBacklog: Int

    public init(api: BotAPIClient, inbound: TelegramInbound, logger: Logger, pollTimeout: Int = 25, maximumBacklog: Int = 120) {
        self.api = api
        self.inbound = inbound
        self.logger = logger
        self.pollTimeout = pollTimeout
        self.maximumBacklog = maximumBacklog
    }

    static let channel = ChannelKind.telegram.rawValue

    /// Runs until the task is cancelled.
    public func run() async {
        let queues = PerChatQueues<Int64, Update> { [inbound, logger] update in
            do { try await inbound.handle(update) } catch {
                // Stays unhandled in the inbox; handled at the next start.
                logger.error("Telegram update could not be handled", metadata: ["error": "\(error)"])
            }
        }
        await handleLeftovers()
        var offset: Int64 = 0
        var backoff = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                let room = await queues.room(below: maximumBacklog)
                let updates = try await api.getUpdates(offset: offset, limit: room, timeout: pollTimeout)
                inbound.service.monitoring.activity.record(.telegramUpdates)
                if !updates.isEmpty {
                    let stored = updates.map { (TelegramInbound.platformID($0), $0.storedJSON) }
                    // Handled while being stored: the storing goes in the same group commit as their steps, and either
                    // order leaves one inbox row per update, handled once (a step finds it stored, the store finds it
                    // handled). Only once it is stored is the batch confirmed.
                    await queues.enqueue(updates.sorted { $0.updateID < $1.updateID }) { TelegramInbound.chat(of: $0) ?? 0 }
                    let now = Date()
                    try await inbound.service.commit { try $0.storeReceived(channel: Self.channel, messages: stored, at: now) }
                    offset = (updates.map(\.updateID).max() ?? offset) + 1
                }
                backoff = .seconds(1)
            } catch BotAPIError.rejected(409, _) {
                // A webhook is still set (the daemon ran in webhook mode before): remove it, then poll.
                logger.info("Telegram: removing the webhook to switch to long polling")
                do { try await api.deleteWebhook() } catch { try? await Task.sleep(for: backoff) }
            } catch {
                if Task.isCancelled { break }
                logger.warning("Telegram getUpdates failed; trying again", metadata: ["error": "\(error)", "wait": "\(backoff)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
        await queues.drain()
    }

    /// Updates stored before a crash and never handled, in the order they came.
    func handleLeftovers() async {
        do {
            let leftovers = try await inbound.service.database.read { try $0.unprocessedInbox(channel: Self.channel) }
            guard !leftovers.isEmpty else { return }
            logger.info("Telegram: handling updates stored before a restart", metadata: ["count": "\(leftovers.count)"])
            let decoder = JSONDecoder()
            for leftover in leftovers {
                guard let update = try? decoder.decode(Update.self, from: Data(leftover.payload.utf8)) else { continue }
                try await inbound.handle(update)
            }
        } catch {
            logger.error("Telegram: stored updates could not be handled", metadata: ["error": "\(error)"])
        }
    }
}
