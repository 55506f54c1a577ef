import Conversations
import Foundation
import Logging
import SamenspraakCore
import Storage

/// Delivers the outbox's Telegram rows: in order per chat, at most one message per `perChatInterval` to a chat
/// and `perSecond` overall, honouring 429's retry_after, retrying network errors and 5xx with growing backoff,
/// giving up on other 4xx, and marking people who blocked the bot unreachable.
///
/// A row is claimed ("sending") in its own commit before the request and marked "sent" after it. A crash in
/// between leaves it "sending"; at start such rows are marked failed ("may not have arrived") rather than sent
/// again, because a Telegram message cannot be taken back: never twice beats maybe twice.
public struct TelegramSender: Sendable {
    public struct Limits: Sendable {
        public var perChatInterval: Duration
        public var perSecond: Int
        public var maximumAttempts: Int
        public var longestBackoff: Duration

        public init(perChatInterval: Duration = .seconds(1), perSecond: Int = 30, maximumAttempts: Int = 8, longestBackoff: Duration = .seconds(300)) {
            self.perChatInterval = perChatInterval
            self.perSecond = perSecond
            self.maximumAttempts = maximumAttempts
            self.longestBackoff = longestBackoff
        }
    }

    let api: BotAPIClient
    let service: ConversationService
    let limits: Limits
    let logger: Logger
    static let channel = ChannelKind.telegram.rawValue

    public init(api: BotAPIClient, service: ConversationService, limits: Limits = Limits(), logger: Logger) {
        self.api = api
        self.service = service
        self.limits = limits
        self.logger = logger
    }

    /// Runs until the task is cancelled.
    public func run() async {
        do {
            let interrupted = try await service.database.write { try $0.failInterruptedSends(channel: Self.channel) }
            if interrupted > 0 { logger.warning("Telegram messages interrupted by a crash were marked failed", metadata: ["count": "\(interrupted)"]) }
        } catch {
            logger.error("could not check for interrupted Telegram messages", metadata: ["error": "\(error)"])
        }
        let clock = ContinuousClock()
        var chatFreeAt: [String: ContinuousClock.Instant] = [:]
        var pace = Pace(perSecond: limits.perSecond, clock: clock)
        let wakeKey = OutboxNotifier.channelKey(.telegram)
        while !Task.isCancelled {
            let seen = await service.outboxNotifier.version(wakeKey)
            var nextWake = clock.now + .seconds(1)
            do {
                let now = Date()
                let due = try await service.database.read { try $0.dueOutbox(channel: Self.channel, now: now, limit: 500) }
                for row in due {
                    if let free = chatFreeAt[row.address], free > clock.now {
                        nextWake = min(nextWake, free)
                        continue
                    }
                    if Task.isCancelled { return }
                    await pace.next()
                    // Not cancelled half-way: a message that went out must be recorded as sent (graceful stop).
                    let pause = await Task { await deliver(row) }.value
                    if let pause { pace.pause(until: clock.now + pause) }
                    chatFreeAt[row.address] = clock.now + limits.perChatInterval
                    nextWake = min(nextWake, clock.now + limits.perChatInterval)
                }
                chatFreeAt = chatFreeAt.filter { $0.value > clock.now }
            } catch {
                if Task.isCancelled { return }
                logger.error("Telegram delivery pass failed", metadata: ["error": "\(error)"])
            }
            await service.outboxNotifier.wait(wakeKey, after: seen, timeout: max(.milliseconds(5), nextWake - clock.now))
        }
    }

    /// Sends one row (in parts if long; the buttons go with the last part) and records the outcome.
    /// Returns how long all sending must pause when Telegram asked for that.
    func deliver(_ row: OutboxRecord) async -> Duration? {
        guard let id = row.id else { return nil }
        do {
            guard try await service.database.write({ try $0.claimOutbox(id: id) }) else { return nil }
            guard let message = try? JSONDecoder().decode(OutboundMessage.self, from: Data(row.payload.utf8)) else {
                try await service.database.write { try $0.failOutbox(id: id, error: "unreadable payload") }
                return nil
            }
            let parts = TelegramKeyboard.parts(of: message.text)
            var sentID: Int64 = 0
            for (index, part) in parts.enumerated() {
                sentID = try await api.sendMessage(chatID: row.address, text: part,
                                                   keyboard: index == parts.count - 1 ? TelegramKeyboard.markup(for: message.choices) : nil)
            }
            let (now, platformID) = (Date(), String(sentID))
            try await service.database.write { try $0.markOutboxSent(id: id, platformMessageID: platformID, at: now) }
        } catch let error as BotAPIError {
            await record(error, row: row, id: id)
            if case .rateLimited(let seconds) = error { return .seconds(seconds) }
        } catch {
            logger.error("Telegram delivery could not be recorded", metadata: ["error": "\(error)"])
        }
        return nil
    }

    func record(_ error: BotAPIError, row: OutboxRecord, id: Int64) async {
        let now = Date()
        let attempts = row.attempts + 1
        do {
            switch error {
            case .rateLimited(let seconds):
                try await service.database.write { try $0.retryOutbox(id: id, at: now.addingTimeInterval(Double(seconds)), error: error.description) }
            case .blocked:
                try await service.database.write { try $0.markUnreachable(channel: Self.channel, address: row.address, at: now) }
            case .rejected:
                logger.error("Telegram refused a message; not retried", metadata: ["outbox": "\(id)", "error": "\(error)"])
                try await service.database.write { try $0.failOutbox(id: id, error: error.description) }
            case .unavailable:
                if attempts >= limits.maximumAttempts {
                    try await service.database.write { try $0.failOutbox(id: id, error: "gave up after \(attempts) attempts: \(error)") }
                } else {
                    let wait = min(limits.longestBackoff, .seconds(1 << min(attempts, 20)))
                    let next = now.addingTimeInterval(Double(wait.components.seconds))
                    try await service.database.write { try $0.retryOutbox(id: id, at: next, error: error.description) }
                }
            }
        } catch {
            logger.error("Telegram delivery outcome could not be recorded", metadata: ["error": "\(error)"])
        }
    }
}

/// At most `perSecond` sends in any second, and a full stop while Telegram says "too many requests".
struct Pace {
    let interval: Duration
    let clock: ContinuousClock
    var nextSend: ContinuousClock.Instant

    init(perSecond: Int, clock: ContinuousClock) {
        self.interval = .seconds(1) / max(1, perSecond)
        self.clock = clock
        self.nextSend = clock.now
    }

    mutating func next() async {
        if nextSend > clock.now { try? await Task.sleep(until: nextSend, clock: clock) }
        nextSend = max(nextSend, clock.now) + interval
    }

    mutating func pause(until instant: ContinuousClock.Instant) { nextSend = max(nextSend, instant) }
}
