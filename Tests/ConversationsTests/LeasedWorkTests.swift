import Conversations
import Foundation
import Logging
import Synchronization
import Testing
import TestSupport

/// Work held in one place: with one daemon it simply runs; with two on one PostgreSQL schema only the lease's holder
/// runs it, and the other takes it over within seconds when the holder's database connection dies.
@Suite struct LeasedWorkTests {
    static let logger = { var logger = Logger(label: "leased-work"); logger.logLevel = .critical; return logger }()

    @Test func aLoneDaemonRunsTheWorkAtOnce() async throws {
        let school = try TestSchool()
        let running = Running()
        await LeasedWork("telegram", leases: school.runtime.database.leases, logger: Self.logger).run(running.once("alone"))
        #expect(running.names == ["alone"])
    }

    @Test(.enabled(if: TestDatabase.isPostgres, "two daemons share a database only on PostgreSQL"), .timeLimit(.minutes(1)))
    func theOtherDaemonTakesTheWorkOverWhenTheHolderDies() async throws {
        let first = try TestSchool()
        let second = try first.restarted()   // another daemon on the same schema
        let running = Running()
        let interval = Duration.milliseconds(200)
        let holder = Task { await LeasedWork("telegram", leases: first.runtime.database.leases, logger: Self.logger, interval: interval).run(running.work("first")) }
        try await waitUntil(timeout: .seconds(5)) { running.names == ["first"] }
        let waiter = Task { await LeasedWork("telegram", leases: second.runtime.database.leases, logger: Self.logger, interval: interval).run(running.work("second")) }
        try await Task.sleep(for: interval * 3)
        #expect(running.names == ["first"], "only the holder works")

        // The holder's database goes away (its machine died): its work stops, and the other daemon's starts.
        try first.runtime.database.close()
        try await waitUntil(timeout: .seconds(10)) { running.names == ["second"] }
        holder.cancel()
        waiter.cancel()
        _ = await (holder.value, waiter.value)
    }
}

/// Who is working right now.
final class Running: Sendable {
    private let state = Mutex<[String]>([])
    var names: [String] { state.withLock { $0 } }

    /// Work that is done at once (and stays listed).
    func once(_ name: String) -> @Sendable () async -> Void {
        { [self] in state.withLock { $0.append(name) } }
    }

    /// Work that goes on until it is cancelled.
    func work(_ name: String) -> @Sendable () async -> Void {
        { [self] in
            state.withLock { $0.append(name) }
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
            state.withLock { $0.removeAll { $0 == name } }
        }
    }
}
