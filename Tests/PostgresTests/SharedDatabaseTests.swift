import Foundation
import PostgresNIO
@testable import PostgresStorage
@testable import Storage
import Synchronization
import Testing

/// Two daemons on one PostgreSQL schema, each with its own engine: a lease is held by one of them and taken over
/// when it dies; messages and jobs are claimed by one of them only, the other skipping what is being claimed.
@Suite(.enabled(if: PostgresServer.url != nil || PostgresServer.isRequired, "needs SAMENSPRAAK_POSTGRES_URL"))
struct SharedDatabaseTests {
    @Test func aLeaseIsHeldByOneDaemonAndTakenOverWhenItDies() async throws {
        try await withTwoDaemons { first, second in
            #expect(try await first.leases.acquire("telegram"))
            #expect(try await !second.leases.acquire("telegram"), "held by the first")
            #expect(try await !first.leases.acquire("telegram"), "already held: not twice")
            #expect(try await second.leases.isAlive(instance: first.leases.instance))

            // The first daemon's leases connection dies (as when its process is killed): the server drops its locks.
            try await terminateLeases(of: first)
            #expect(try await isGone(first, to: second))
            #expect(try await second.leases.acquire("telegram"), "taken over")

            // The first connects again (and is alive again), for another purpose, before noticing: the lease is not
            // confirmed on the new connection, and is found taken.
            for _ in 0..<3 where (try? await first.leases.acquire("matrix")) == nil {}   // the first try may meet the dead connection
            await #expect(throws: PostgresLeasesLost.self) { try await first.leases.confirm("telegram") }
            #expect(try await !first.leases.acquire("telegram"))
            #expect(try await second.leases.isAlive(instance: first.leases.instance))
            try await second.leases.confirm("telegram")
            try await first.leases.confirm("matrix")

            // Given up on purpose, it is free at once.
            await second.leases.release("telegram")
            #expect(try await first.leases.acquire("telegram"))
        }
    }

    @Test func theDaemonsSharingADatabaseAreCounted() async throws {
        try await withTwoDaemons { first, second in
            #expect(try await first.leases.liveInstances() == 2)
            #expect(try await second.leases.liveInstances() == 2)
            try await withTwoDaemons { _, _ in
                let counted = try await first.leases.liveInstances()
                #expect(counted == 2, "another school's daemons do not count")
            }
            // The second's leases connection dies: it no longer counts; once it connects again it does.
            try await terminateLeases(of: second)
            #expect(try await count(of: first, becomes: 1))
            for _ in 0..<3 where (try? await second.leases.acquire("matrix")) == nil {}   // the first try may meet the dead connection
            #expect(try await count(of: first, becomes: 2))
            try second.close()
            #expect(try await count(of: first, becomes: 1))
        }
    }

    @Test func twoSchoolsOnOneServerHaveLeasesOfTheirOwn() async throws {
        try await withTwoDaemons { klimop, _ in
            try await withTwoDaemons { zonnebloem, _ in
                let taken = (try await klimop.leases.acquire("telegram"), try await zonnebloem.leases.acquire("telegram"))
                #expect(taken == (true, true), "each school's bot has its own lease")
            }
        }
    }

    @Test func aMessageIsClaimedByOneDaemonOnly() async throws {
        try await withTwoDaemons { first, second in
            let now = Date()
            let ids = try first.writeNow { tx in
                let contact = try #require(try tx.insertContact(channel: "telegram", address: "42", for: .teacher("t1"), session: "{}", at: now).id)
                return try (0..<3).map { try tx.enqueue(contactID: contact, channel: "telegram", address: "42", payload: "{\"n\":\($0)}", at: now) }
            }
            // While the first daemon's claim of two is not yet committed, the second skips those two instead of waiting.
            let (mine, theirs) = try first.writeNow { tx in
                let mine = try tx.claimOutbox(ids: Array(ids.prefix(2)), instance: first.leases.instance)
                let theirs = try second.writeNow { try $0.claimOutbox(ids: ids, instance: second.leases.instance) }
                return (mine, theirs)
            }
            #expect(mine == Set(ids.prefix(2)))
            #expect(theirs == [ids[2]])
            // Once committed, nobody claims them again.
            #expect(try second.writeNow { try $0.claimOutbox(ids: ids, instance: second.leases.instance) }.isEmpty)
            #expect(try second.readNow { try $0.sendingClaimers(channel: "telegram") }.sorted() == [first.leases.instance, second.leases.instance].sorted())
        }
    }

    @Test func aDeadDaemonsMessagesAreSettledAndALiveOnesAreNot() async throws {
        try await withTwoDaemons { first, second in
            let now = Date()
            try first.writeNow { tx in
                let contact = try #require(try tx.insertContact(channel: "telegram", address: "42", for: .teacher("t1"), session: "{}", at: now).id)
                let id = try tx.enqueue(contactID: contact, channel: "telegram", address: "42", payload: "{}", at: now)
                _ = try tx.claimOutbox(ids: [id], instance: first.leases.instance)
            }
            #expect(try await second.leases.isAlive(instance: first.leases.instance), "still sending: left alone")
            try first.close()
            #expect(try await isGone(first, to: second))
            #expect(try second.writeNow { try $0.failInterruptedSends(channel: "telegram", claimer: first.leases.instance) } == 1)
        }
    }

    @Test func aDueJobIsRunByOneDaemonOnly() async throws {
        try await withTwoDaemons { first, second in
            let now = Date()
            try first.writeNow { tx in
                for index in 0..<4 {
                    try tx.plan(PlannedJob(key: "nudge:\(index)", kind: "nudge", householdID: nil, reference: "", dueAt: now.addingTimeInterval(-60),
                                           expiresAt: now.addingTimeInterval(3600)))
                }
            }
            let (mine, theirs) = try first.writeNow { tx in
                let mine = try tx.dueJobs(now: now, limit: 2)
                let theirs = try second.writeNow { try $0.dueJobs(now: now, limit: 10) }
                return (mine.map(\.key), theirs.map(\.key))
            }
            #expect(Set(mine).isDisjoint(with: theirs))
            #expect(mine.count == 2 && theirs.count == 2)
        }
    }

    @Test func whatOneDaemonCommitsForSomeoneWaitingWakesTheOthers() async throws {
        try await withTwoDaemons { first, second in
            let heard = HeardKeys()
            let listening = Task { await second.broadcasts.listen { await heard.add($0, by: "second") } }
            let ownEcho = Task { await first.broadcasts.listen { await heard.add($0, by: "first") } }
            // The listeners need a moment to be registered with the server; keep broadcasting until one is heard.
            let many = Set((0..<2_000).map { "webchat-client-\($0)" })   // more than one NOTIFY payload holds
            for _ in 0..<50 where await heard.keys(by: "second").count < many.count + 1 {
                first.broadcasts.broadcast(["webchat-client-x"])
                first.broadcasts.broadcast(many)
                try await Task.sleep(for: .milliseconds(100))
            }
            listening.cancel()
            ownEcho.cancel()
            #expect(await heard.keys(by: "second") == many.union(["webchat-client-x"]))
            #expect(await heard.keys(by: "first").isEmpty, "a daemon does not wake itself twice")
        }
    }

    /// Each daemon's step locks its own row first and then wants the other's: a deadlock. The server gives one of them
    /// up; its group commit runs it again, and both steps count once.
    @Test(.timeLimit(.minutes(1))) func aDeadlocksVictimRunsAgain() async throws {
        try await withTwoDaemons { first, second in
            try first.writeNow { tx in
                _ = try tx.execute("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
                _ = try tx.execute("INSERT INTO counter (id, n) VALUES (1, 0), (2, 0)")
            }
            let counts = StepCounts()
            @Sendable func step(_ mine: Int64, then theirs: Int64) -> @Sendable (Transaction) throws -> Int64 {
                { tx in
                    counts.runs.add(1, ordering: .sequentiallyConsistent)
                    _ = try tx.execute("UPDATE counter SET n = n + 1 WHERE id = ?", [mine])
                    counts.holding.add(1, ordering: .sequentiallyConsistent)
                    for _ in 0..<1_000 where counts.holding.load(ordering: .sequentiallyConsistent) < 2 { Thread.sleep(forTimeInterval: 0.02) }
                    _ = try tx.execute("UPDATE counter SET n = n + 10 WHERE id = ?", [theirs])
                    return mine
                }
            }
            async let one = GroupCommitter(database: first).perform(step(1, then: 2))
            async let two = GroupCommitter(database: second).perform(step(2, then: 1))
            #expect(try await [one, two] == [1, 2])
            #expect(counts.runs.load(ordering: .sequentiallyConsistent) == 3, "one gave way once and ran again")
            #expect(try first.readNow { try $0.values("SELECT n FROM counter ORDER BY id", as: Int64.self) } == [11, 11], "each step counted once")
        }
    }

    /// Two engines ("daemons") on one fresh schema, closed and dropped afterwards.
    private func withTwoDaemons(_ body: (AppDatabase, AppDatabase) async throws -> Void) async throws {
        try await PostgresServer.withFreshSchema { location, _ in
            let first = AppDatabase(engine: try await PostgresEngine.open(location, logger: PostgresServer.logger, readers: 1))
            let second = AppDatabase(engine: try await PostgresEngine.open(location, logger: PostgresServer.logger, readers: 1))
            let result = await Result { try await body(first, second) }
            try? first.close()
            try? second.close()
            try result.get()
        }
    }

    /// Whether `second` finds `first` dead within five seconds: the server ends a closed or terminated connection's
    /// process, and drops its locks, a moment after the connection is gone.
    private func isGone(_ first: AppDatabase, to second: AppDatabase) async throws -> Bool {
        for _ in 0..<50 {
            if try await !second.leases.isAlive(instance: first.leases.instance) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Whether `database` counts `live` daemons within five seconds (a closed connection's locks go a moment later).
    private func count(of database: AppDatabase, becomes live: Int) async throws -> Bool {
        for _ in 0..<50 {
            if try await database.leases.liveInstances() == live { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Ends the server process of `database`'s leases connection, as the server does when a daemon's machine is gone.
    private func terminateLeases(of database: AppDatabase) async throws {
        let leases = try #require(database.leases as? PostgresLeases)
        let key = leases.key("instance:\(leases.instance)")
        try await PostgresServer.withAdmin { admin in
            let rows = try await admin.query("""
                SELECT pg_terminate_backend(pid) FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = \(key)
                """, logger: PostgresServer.logger)
            var terminated = 0
            for try await _ in rows { terminated += 1 }
            #expect(terminated == 1)
        }
    }
}

private actor HeardKeys {
    private var heard: [String: Set<String>] = [:]
    func add(_ keys: Set<String>, by listener: String) { heard[listener, default: []].formUnion(keys) }
    func keys(by listener: String) -> Set<String> { heard[listener] ?? [] }
}

private final class StepCounts: Sendable {
    let runs = Atomic(0)
    let holding = Atomic(0)
}
