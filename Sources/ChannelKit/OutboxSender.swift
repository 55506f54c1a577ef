import Conversations
import Foundation
import Logging
import Monitoring
import SamenspraakCore
import Storage
import Synchronization

/// Delivers the outbox's rows of one channel through its `OutboxTransport`: in order per address, at most one message
/// per `perChatInterval` to an address and `perSecond` overall, honouring rate limits, retrying network errors and
/// 5xx with growing backoff, giving up on other 4xx, and marking people who blocked us unreachable.
///
/// Rows are claimed ("sending", by this instance) in a commit before the requests and marked "sent" in one after them.
/// A crash in between leaves it "sending"; once its claimer is known to be dead (at the next start, or on a shared
/// database when another daemon finds its lease gone) such rows are marked failed ("may not have arrived") rather than
/// sent again, because a chat message cannot be taken back: never twice beats maybe twice. A transport whose platform
/// takes a row once however often it is sent (`isIdempotent`: Matrix's transaction ids) has them sent again instead.
/// Daemons sharing a database each run a sender; a row is claimed by one of them (`Transaction.claimOutbox`). They
/// share the overall limit (one bot, one limit): each paces itself to its part, counting the live daemons every few
/// seconds. A chat's next message, from a lane or claimed by a step, waits for the interval after any daemon's last
/// message to it (known from the rows).
public struct OutboxSender<Transport: OutboxTransport>: Sendable {
    let channel: ChannelKind
    let transport: Transport
    let service: ConversationService
    let limits: OutboxLimits
    let logger: Logger
    /// Shared by the lanes and the replies sent at once (`sendReplies`).
    let pace: Pace
    let chats: ChatPacing

    public init(channel: ChannelKind, transport: Transport, service: ConversationService, limits: OutboxLimits, logger: Logger) {
        self.channel = channel
        self.transport = transport
        self.service = service
        self.limits = limits
        self.logger = logger
        pace = Pace(perSecond: limits.perSecond)
        chats = ChatPacing(interval: limits.perChatInterval)
    }

    var name: String { channel.rawValue }

    /// Runs until the task is cancelled: `limits.lanes` loops, each delivering the rows of its share of the chats,
    /// so one batch waiting for its slowest send or for its commit does not hold up the others.
    public func run() async {
        await settleInterruptedSends()
        await shareThePace()
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<limits.lanes {
                group.addTask { await run(lane: lane) }
            }
        }
    }

    /// Which of a step's replies to `address` the step may claim for `sendReplies`: none while the chat must still
    /// wait after its last message or the platform asked us to pause (the update's handling, and a graceful stop,
    /// would wait that long), else the first (or all, without a wait between a chat's messages).
    public func claimableReplies(to address: String) -> ConversationService.ClaimedReplies {
        guard chats.isFree(address), !pace.isPaused else { return .none }
        guard limits.perChatInterval > .zero else { return .all }
        return .first(unlessSentWithin: service.database.leases.areShared ? limits.perChatInterval : nil)
    }

    /// Sends the replies a step claimed (`ConversationService.ClaimedReplies`) at once, paced like the rest, and
    /// records how it went: a parent's answer does not wait for the next pass of a lane. A failure is recorded as the
    /// lanes record it, so a retry goes through them.
    /// `firstBy`: how the first reply goes instead of the transport's usual send (Telegram: in place of the pressed
    /// question); the rest follow it as usual.
    public func sendReplies(of outcome: ConversationService.Outcome, firstBy first: Send? = nil) async {
        guard case .handled(_, _, _, _, let replies) = outcome, !replies.isEmpty else { return }
        // Not cancelled half-way: what went out must be recorded.
        await Task { await sendAndRecord(replies.map { ($0.row, $0.message) }, firstBy: first) }.value
    }

    /// A way to deliver one row.
    public typealias Send = @Sendable (OutboxRecord, OutboundMessage) async -> DeliveryOutcome

    /// One lane: the rows of the chats whose contact id leaves `lane` when divided by the number of lanes, so a chat's
    /// messages stay in order.
    func run(lane: Int) async {
        let channelName = name
        let clock = ContinuousClock()
        let wakeKey = Wakeups.channelKey(channel)
        // Daemons sharing the database look again now and then for one that died while sending, and count each other
        // to share the overall limit (one lane does).
        var nextSettling = clock.now + Self.settlingInterval
        let lanes = (lane, limits.lanes)
        while !Task.isCancelled {
            if lane == 0, service.database.leases.areShared, clock.now >= nextSettling {
                await settleInterruptedSends()
                await shareThePace()
                nextSettling = clock.now + Self.settlingInterval
            }
            let seen = await service.wakeups.version(wakeKey)
            var nextWake = clock.now + .seconds(1)
            do {
                let now = Date()
                // Another daemon's last message to a chat is known only from its row.
                let sentSince = service.database.leases.areShared && limits.perChatInterval > .zero ? now.addingTimeInterval(-limits.perChatInterval.inSeconds) : nil
                // Rows come in order; with pacing per chat only each chat's oldest goes in this pass.
                let due = try await service.database.read {
                    try $0.dueOutbox(channel: channelName, now: now, limit: limits.batchSize, lane: lanes, sentSince: sentSince)
                }
                var ready: [OutboxRecord] = []
                var inThisPass = Set<String>()
                for row in due {
                    if let free = chats.freeAt(row.address), free > clock.now {
                        nextWake = min(nextWake, free)
                        continue
                    }
                    if limits.perChatInterval > .zero, !inThisPass.insert(row.address).inserted { continue }
                    ready.append(row)
                }
                if !ready.isEmpty {
                    // Not cancelled half-way: what went out must be recorded (a graceful stop waits for this batch).
                    await Task { await deliver(ready) }.value
                    nextWake = clock.now  // there may be more right away
                }
            } catch {
                if Task.isCancelled { return }
                logger.error("delivery pass failed", metadata: ["channel": "\(name)", "error": "\(error)"])
            }
            guard nextWake > clock.now else { continue }
            await service.wakeups.wait(wakeKey, after: seen, timeout: nextWake - clock.now)
        }
    }

    static var settlingInterval: Duration { .seconds(5) }

    /// Settles the rows claimed by a sender that is no longer alive: this daemon before a crash, or another daemon
    /// sharing the database that died. A live one's rows are left to it.
    func settleInterruptedSends() async {
        let channelName = name
        let leases = service.database.leases
        do {
            for claimer in try await service.database.read({ try $0.sendingClaimers(channel: channelName) }) where claimer != leases.instance {
                guard try await !leases.isAlive(instance: claimer) else { continue }
                if Transport.isIdempotent {
                    let interrupted = try await service.database.write { try $0.requeueInterruptedSends(channel: channelName, claimer: claimer) }
                    if interrupted > 0 { logger.warning("messages interrupted by a crash are sent again", metadata: ["channel": "\(name)", "count": "\(interrupted)"]) }
                } else {
                    let interrupted = try await service.database.write { try $0.failInterruptedSends(channel: channelName, claimer: claimer) }
                    if interrupted > 0 { logger.warning("messages interrupted by a crash were marked failed", metadata: ["channel": "\(name)", "count": "\(interrupted)"]) }
                }
            }
        } catch {
            logger.error("could not check for interrupted messages", metadata: ["channel": "\(name)", "error": "\(error)"])
        }
    }

    /// Paces this daemon to its part of the overall limit among the daemons sharing the database. Until it knows (or
    /// when counting fails) it keeps the part it had: a daemon that joined is noticed within `settlingInterval`.
    func shareThePace() async {
        guard service.database.leases.areShared else { return }
        do {
            pace.share(among: try await service.database.leases.liveInstances())
        } catch {
            logger.error("could not count the daemons sharing the database", metadata: ["channel": "\(name)", "error": "\(error)"])
        }
    }

    /// What became of one claimed row.
    enum Outcome: Sendable {
        case delivered(DeliveryOutcome)
        /// Not tried: an earlier message to the same chat failed, and order matters more than speed.
        case heldBack

        var isSent: Bool { if case .delivered(.sent) = self { true } else { false } }
    }

    /// Claims the rows in the next group commit, then sends and records them.
    func deliver(_ rows: [OutboxRecord]) async {
        let ids = rows.compactMap(\.id)
        let claimed: Set<Int64>
        do {
            let instance = service.database.leases.instance
            claimed = try await service.commit { tx in try tx.claimOutbox(ids: ids, instance: instance) }
        } catch {
            logger.error("rows could not be claimed", metadata: ["channel": "\(name)", "error": "\(error)"])
            return
        }
        await sendAndRecord(rows.filter { $0.id.map(claimed.contains) ?? false }.map { ($0, OutboundMessage(json: $0.payload)) })
    }

    /// A claimed row and its payload as a message (nil: unreadable, failed without being tried).
    typealias Outgoing = (row: OutboxRecord, message: OutboundMessage?)

    /// Sends claimed rows concurrently (paced), records every outcome in the next group commit, and holds each chat
    /// back for the interval between its messages.
    func sendAndRecord(_ mine: [Outgoing], firstBy first: Send? = nil) async {
        let firstID = mine.first?.row.id
        // One task per chat sends that chat's rows in order; after a failure the rest of the chat waits.
        var order: [String] = []
        let byChat = Dictionary(grouping: mine) { $0.row.address }
        for (row, _) in mine where !order.contains(row.address) { order.append(row.address) }
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
                    for (row, message) in chatRows {
                        guard done.allSatisfy({ $0.1.isSent }) else {  // a closure: this key path was built anew at every send
                            done.append((row, .heldBack))
                            continue
                        }
                        guard let message else {
                            done.append((row, .delivered(.unreadable)))
                            continue
                        }
                        if let first, row.id == firstID {
                            done.append((row, .delivered(await first(row, message))))
                        } else {
                            done.append((row, .delivered(await transport.send(row, message))))
                        }
                    }
                    return done
                }
                inFlight += 1
            }
            for await done in group { results += done }
            return results
        }
        chats.sent(to: order)
        for (row, outcome) in outcomes {
            if case .delivered(.failed(.rateLimited(_, .channel, _))) = outcome {
                pace.pause(until: ContinuousClock.now + retryDelay(after: outcome, attempts: row.attempts + 1))
            }
        }
        let now = Date()
        do {
            try await service.commit { tx in
                for (row, outcome) in outcomes { try record(outcome, of: row, now: now, tx: tx) }
            }
            count(outcomes)
        } catch {
            // Left "sending": at the next start they count as interrupted, never as unsent.
            logger.error("outcomes could not be recorded", metadata: ["channel": "\(name)", "error": "\(error)"])
        }
    }

    /// Adds a recorded batch to the metrics and the channel's last contact.
    func count(_ outcomes: [(OutboxRecord, Outcome)]) {
        var sent = 0
        for (_, outcome) in outcomes {
            switch outcome {
            case .delivered(.sent): sent += 1
            case .delivered(.failed(let error)): service.monitoring.sendFailed(error.failure, on: channel)
            case .delivered(.unreadable), .heldBack: break
            }
        }
        service.monitoring.sent(sent, on: channel)
        if sent > 0, let activity = ChannelActivity.Contact.send(on: channel) { service.monitoring.activity.record(activity) }
    }

    /// How long a row waits before its next attempt: what the platform asked for, else 2, 4, 8 … seconds up to the longest backoff.
    func retryDelay(after outcome: Outcome, attempts: Int) -> Duration {
        if case .delivered(.failed(.rateLimited(.some(let wait), _, _))) = outcome { return wait }
        return min(limits.longestBackoff, .seconds(1 << min(attempts, 20)))
    }

    func record(_ outcome: Outcome, of row: OutboxRecord, now: Date, tx: Transaction) throws {
        guard let id = row.id else { return }
        let attempts = row.attempts + 1
        switch outcome {
        case .delivered(.sent(let messageID, let template)):
            try tx.markOutboxSent(id: id, platformMessageID: messageID, template: template, reportsMayWait: Transport.reportsDelivery, at: now)
        case .delivered(.unreadable):
            try tx.failOutbox(id: id, error: "unreadable payload")
        case .heldBack:
            try tx.retryOutbox(id: id, at: now, error: "waiting for an earlier message to the same chat")
        case .delivered(.failed(let error)):
            switch error {
            case .rateLimited:
                let wait = retryDelay(after: outcome, attempts: attempts)
                try tx.retryOutbox(id: id, at: now.addingTimeInterval(wait.inSeconds), error: error.description)
            case .blocked:
                try tx.markUnreachable(channel: name, address: row.address, at: now)
                try service.reachabilityChanged(channel: channel, address: row.address, tx: tx, now: now)
            case .rejected:
                logger.error("the platform refused a message; not retried", metadata: ["channel": "\(name)", "outbox": "\(id)", "error": "\(error)"])
                try tx.failOutbox(id: id, error: error.description)
            case .unavailable:
                if attempts >= limits.maximumAttempts {
                    try tx.failOutbox(id: id, error: "gave up after \(attempts) attempts: \(error)")
                } else {
                    try tx.retryOutbox(id: id, at: now.addingTimeInterval(retryDelay(after: outcome, attempts: attempts).inSeconds), error: error.description)
                }
            }
        }
    }
}

/// Pacing and retrying of one channel's sends.
public struct OutboxLimits: Sendable {
    public var perChatInterval: Duration
    public var perSecond: Int
    public var maximumAttempts: Int
    public var longestBackoff: Duration
    /// Rows claimed together (one commit to claim them, one to record how it went).
    public var batchSize: Int
    /// Requests to the platform under way at once, in each lane.
    public var concurrentSends: Int
    /// Batches under way at once, each for its own share of the chats.
    public var lanes: Int

    public init(perChatInterval: Duration = .seconds(1), perSecond: Int = 30, maximumAttempts: Int = 8, longestBackoff: Duration = .seconds(300),
                batchSize: Int = 200, concurrentSends: Int = 16, lanes: Int = 4) {
        self.perChatInterval = perChatInterval
        self.perSecond = perSecond
        self.maximumAttempts = maximumAttempts
        self.longestBackoff = longestBackoff
        self.batchSize = batchSize
        self.concurrentSends = concurrentSends
        self.lanes = max(1, lanes)
    }
}

/// When each chat may get its next message: `interval` after its last, shared by a sender's lanes and its replies
/// sent at once.
final class ChatPacing: Sendable {
    private struct Chats {
        var freeAt: [String: ContinuousClock.Instant] = [:]
        var lastSweep: ContinuousClock.Instant
    }

    private let interval: Duration
    private let clock = ContinuousClock()
    private let chats: Mutex<Chats>

    init(interval: Duration) {
        self.interval = interval
        chats = Mutex(Chats(lastSweep: clock.now))
    }

    func freeAt(_ address: String) -> ContinuousClock.Instant? { chats.withLock { $0.freeAt[address] } }

    func isFree(_ address: String) -> Bool { freeAt(address).map { $0 <= clock.now } ?? true }

    /// These chats just got a message. Chats free again are forgotten once per interval, so the map holds about
    /// the chats written to in the last two.
    func sent(to addresses: [String]) {
        guard interval > .zero else { return }
        let now = clock.now
        chats.withLock { chats in
            if now - chats.lastSweep > interval {
                chats.freeAt = chats.freeAt.filter { $0.value > now }
                chats.lastSweep = now
            }
            for address in addresses { chats.freeAt[address] = now + interval }
        }
    }
}

/// At most `perSecond` sends in any second, and a full stop while the platform says "too many requests", for all
/// of a sender's lanes. Up to `perSecond` go at once when none went in the last second: a batch of replies is not
/// spread out over the second. Daemons sharing a bot each take their part of `perSecond` (`share(among:)`).
final class Pace: Sendable {
    private struct Sends {
        /// When each of the last `limit` sends goes, oldest at `oldest` (a ring as long as the limit).
        var times: [ContinuousClock.Instant]
        var oldest = 0
        var pausedUntil: ContinuousClock.Instant
    }

    private let clock = ContinuousClock()
    private let perSecond: Int
    private let sends: Mutex<Sends>

    init(perSecond: Int) {
        let now = clock.now
        self.perSecond = max(1, perSecond)
        sends = Mutex(Sends(times: Array(repeating: now - .seconds(1), count: self.perSecond), pausedUntil: now))
    }

    /// The sends allowed in any second now.
    var limit: Int { sends.withLock { $0.times.count } }

    /// Keeps to this daemon's part of the limit when `daemons` share it: rounded down, so together they stay within it
    /// (but at least one a second each). The last sends still count against the new limit.
    func share(among daemons: Int) {
        let limit = max(1, perSecond / max(1, daemons))
        let unused = clock.now - .seconds(1)
        sends.withLock { sends in
            guard limit != sends.times.count else { return }
            let oldestFirst = Array(sends.times[sends.oldest...] + sends.times[..<sends.oldest])
            sends.times = limit < oldestFirst.count
                ? Array(oldestFirst.suffix(limit)) : Array(repeating: unused, count: limit - oldestFirst.count) + oldestFirst
            sends.oldest = 0
        }
    }

    /// Waits until one more send keeps within the limit; returns the moment it was given. The moment is taken before
    /// waiting, so lanes waiting at the same time each get their own.
    @discardableResult
    func next() async -> ContinuousClock.Instant {
        let moment = sends.withLock { sends in
            let moment = max(sends.times[sends.oldest] + .seconds(1), sends.pausedUntil, clock.now)
            sends.times[sends.oldest] = moment
            sends.oldest = (sends.oldest + 1) % sends.times.count
            return moment
        }
        if moment > clock.now { try? await Task.sleep(until: moment, clock: clock) }
        return moment
    }

    func pause(until instant: ContinuousClock.Instant) { sends.withLock { $0.pausedUntil = max($0.pausedUntil, instant) } }

    /// Whether the platform's "too many requests" still holds every send back.
    var isPaused: Bool { sends.withLock { $0.pausedUntil > clock.now } }
}
