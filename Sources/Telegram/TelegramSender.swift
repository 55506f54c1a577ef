import Conversations
import Foundation
import Logging
import Monitoring
import SamenspraakCore
import Storage

/// Delivers the outbox's Telegram rows: in order per chat, at most one message per `perChatInterval` to a chat
/// and `perSecond` overall, honouring 429's retry_after, retrying network errors and 5xx with growing backoff,
/// giving up on other 4xx, and marking people who blocked the bot unreachable.
///
/// Rows are claimed ("sending") in a commit before the requests and marked "sent" in one after them. A crash in
/// between leaves it "sending"; at start such rows are marked failed ("may not have arrived") rather than sent
/// again, because a Telegram message cannot be taken back: never twice beats maybe twice.
public struct TelegramSender: Sendable {
    public struct Limits: Sendable {
        public var perChatInterval: Duration
        public var perSecond: Int
        public var maximumAttempts: Int
        public var longestBackoff: Duration
        /// Rows claimed together (one commit to claim them, one to record how it went).
        public var batchSize: Int
        /// Requests to Telegram under way at once.
        public var concurrentSends: Int

        public init(perChatInterval: Duration = .seconds(1), perSecond: Int = 30, maximumAttempts: Int = 8, longestBackoff: Duration = .seconds(300),
                    batchSize: Int = 200, concurrentSends: Int = 32) {
            self.perChatInterval = perChatInterval
            self.perSecond = perSecond
            self.maximumAttempts = maximumAttempts
            self.longestBackoff = longestBackoff
            self.batchSize = batchSize
            self.concurrentSends = concurrentSends
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
        let wakeKey = Wakeups.channelKey(.telegram)
        while !Task.isCancelled {
            let seen = await service.wakeups.version(wakeKey)
            var nextWake = clock.now + .seconds(1)
            do {
                let now = Date()
                // Rows come in order; with pacing per chat only each chat's oldest goes in this pass.
                let due = try await service.database.read { try $0.dueOutbox(channel: Self.channel, now: now, limit: limits.batchSize) }
                var ready: [OutboxRecord] = []
                var chats = Set<String>()
                for row in due {
                    if let free = chatFreeAt[row.address], free > clock.now {
                        nextWake = min(nextWake, free)
                        continue
                    }
                    if limits.perChatInterval > .zero, !chats.insert(row.address).inserted { continue }
                    ready.append(row)
                }
                if !ready.isEmpty {
                    // Not cancelled half-way: what went out must be recorded (a graceful stop waits for this batch).
                    let batch = await Task { [pace] in await deliver(ready, pace: pace) }.value
                    pace = batch.pace
                    for address in batch.attempted { chatFreeAt[address] = clock.now + limits.perChatInterval }
                    nextWake = clock.now  // there may be more right away
                }
                chatFreeAt = chatFreeAt.filter { $0.value > clock.now }
            } catch {
                if Task.isCancelled { return }
                logger.error("Telegram delivery pass failed", metadata: ["error": "\(error)"])
            }
            guard nextWake > clock.now else { continue }
            await service.wakeups.wait(wakeKey, after: seen, timeout: nextWake - clock.now)
        }
    }

    /// What sending one row came to.
    enum Outcome: Sendable {
        case sent(messageID: Int64)
        case failed(BotAPIError)
        case unreadable
        /// Not tried: an earlier message to the same chat failed, and order matters more than speed.
        case heldBack
    }

    /// Claims the rows in one commit, sends them concurrently (paced), and records every outcome in one commit.
    func deliver(_ rows: [OutboxRecord], pace: Pace) async -> (attempted: [String], pace: Pace) {
        var pace = pace
        let ids = rows.compactMap(\.id)
        let claimed: Set<Int64>
        do {
            claimed = try await service.database.write { tx in Set(try ids.filter { try tx.claimOutbox(id: $0) }) }
        } catch {
            logger.error("Telegram rows could not be claimed", metadata: ["error": "\(error)"])
            return ([], pace)
        }
        let mine = rows.filter { $0.id.map(claimed.contains) ?? false }
        // One task per chat sends that chat's rows in order; after a failure the rest of the chat waits.
        var order: [String] = []
        let byChat = Dictionary(grouping: mine) { row in row.address }
        for row in mine where !order.contains(row.address) { order.append(row.address) }
        let outcomes = await withTaskGroup(of: [(OutboxRecord, Outcome)].self) { group in
            var inFlight = 0
            var results: [(OutboxRecord, Outcome)] = []
            for address in order {
                let chatRows = byChat[address] ?? []
                if inFlight >= limits.concurrentSends, let done = await group.next() {
                    results += done
                    inFlight -= 1
                }
                for _ in chatRows { await pace.next() }
                group.addTask {
                    var done: [(OutboxRecord, Outcome)] = []
                    for row in chatRows {
                        guard done.allSatisfy({ if case .sent = $0.1 { true } else { false } }) else {
                            done.append((row, .heldBack))
                            continue
                        }
                        done.append((row, await send(row)))
                    }
                    return done
                }
                inFlight += 1
            }
            for await done in group { results += done }
            return results
        }
        for (_, outcome) in outcomes {
            if case .failed(.rateLimited(let seconds)) = outcome { pace.pause(until: ContinuousClock.now + .seconds(seconds)) }
        }
        let now = Date()
        do {
            try await service.database.write { tx in
                for (row, outcome) in outcomes { try record(outcome, of: row, now: now, tx: tx) }
            }
            count(outcomes)
        } catch {
            // Left "sending": at the next start they count as interrupted, never as unsent.
            logger.error("Telegram outcomes could not be recorded", metadata: ["error": "\(error)"])
        }
        return (mine.map(\.address), pace)
    }

    /// Sends one row, in parts if long; the buttons go with the last part.
    func send(_ row: OutboxRecord) async -> Outcome {
        guard let message = try? JSONDecoder().decode(OutboundMessage.self, from: Data(row.payload.utf8)) else { return .unreadable }
        let parts = TelegramKeyboard.parts(of: message.text)
        do {
            var sentID: Int64 = 0
            for (index, part) in parts.enumerated() {
                sentID = try await api.sendMessage(chatID: row.address, text: part,
                                                   keyboard: index == parts.count - 1 ? TelegramKeyboard.markup(for: message.choices) : nil)
            }
            return .sent(messageID: sentID)
        } catch let error as BotAPIError {
            return .failed(error)
        } catch {
            return .failed(.unavailable("\(type(of: error))"))
        }
    }

    /// Adds a recorded batch to the metrics and the channel's last contact.
    func count(_ outcomes: [(OutboxRecord, Outcome)]) {
        var sent = 0
        for (_, outcome) in outcomes {
            switch outcome {
            case .sent: sent += 1
            case .failed(let error): service.monitoring.sendFailed(error.failure)
            case .unreadable, .heldBack: break
            }
        }
        service.monitoring.sent(sent, on: .telegram)
        if sent > 0 { service.monitoring.activity.record(.telegramSend) }
    }

    func record(_ outcome: Outcome, of row: OutboxRecord, now: Date, tx: Transaction) throws {
        guard let id = row.id else { return }
        let attempts = row.attempts + 1
        switch outcome {
        case .sent(let messageID):
            try tx.markOutboxSent(id: id, platformMessageID: String(messageID), at: now)
        case .unreadable:
            try tx.failOutbox(id: id, error: "unreadable payload")
        case .heldBack:
            try tx.retryOutbox(id: id, at: now, error: "waiting for an earlier message to the same chat")
        case .failed(let error):
            switch error {
            case .rateLimited(let seconds):
                try tx.retryOutbox(id: id, at: now.addingTimeInterval(Double(seconds)), error: error.description)
            case .blocked:
                try tx.markUnreachable(channel: Self.channel, address: row.address, at: now)
                try service.reachabilityChanged(channel: .telegram, address: row.address, tx: tx, now: now)
            case .rejected:
                logger.error("Telegram refused a message; not retried", metadata: ["outbox": "\(id)", "error": "\(error)"])
                try tx.failOutbox(id: id, error: error.description)
            case .unavailable:
                if attempts >= limits.maximumAttempts {
                    try tx.failOutbox(id: id, error: "gave up after \(attempts) attempts: \(error)")
                } else {
                    let wait = min(limits.longestBackoff, .seconds(1 << min(attempts, 20)))
                    try tx.retryOutbox(id: id, at: now.addingTimeInterval(Double(wait.components.seconds)), error: error.description)
                }
            }
        }
    }
}

/// At most `perSecond` sends in any second, and a full stop while Telegram says "too many requests".
struct Pace: Sendable {
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
