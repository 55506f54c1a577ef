import App
import Benchmark
import Conversations
import Foundation
import Logging
import SamenspraakCore
import Storage
import Synchronization

/// The repository's own flows and locales, found from this file's path.
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// Issue 6's targets: with 1,000,000 pending jobs the daemon starts serving within a second, finds the next due
/// job in microseconds, and fires at least 10,000 due jobs a second into the outbox.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .peakMemoryResident],
                                           warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 20)

    // What `serve` does before it listens: open the database (migrations checked), load the school file, flows
    // and locales, plan the school's nudges, and look up the next due job.
    Benchmark("Start with 1,000,000 pending jobs (open, load, plan, find the next due)") { benchmark in
        let fixture = try await SchedulerFixture.shared()
        benchmark.startMeasurement()
        let runtime = try Runtime.load(fixture.configuration, clock: fixture.clock, logger: fixture.logger)
        try await runtime.service.planSchoolJobs()
        blackHole(try await runtime.service.nextJobDue())
    }

    Benchmark("Find the next due job among 1,000,000 pending", configuration: .init(scalingFactor: .kilo, maxIterations: 1_000)) { benchmark in
        let fixture = try await SchedulerFixture.shared()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try fixture.runtime.database.readNow { try $0.nextJobDue() })
        }
    }

    // Each iteration makes 1,000 talk reminders due (one per household of half the booked ones, a fortnight later
    // than the last round so the weekly cap lets them through) and runs them: checks, messages rendered, outbox rows,
    // committed. The throughput is in jobs per second.
    Benchmark("Fire due talk reminders into the outbox (1,000 per iteration, 1,000,000 pending)",
              configuration: .init(scalingFactor: .kilo, maxIterations: 20)) { benchmark in
        let fixture = try await SchedulerFixture.shared()
        let due = try fixture.makeRoundDue()
        benchmark.startMeasurement()
        var fired = 0
        while true {
            let report = try await fixture.runtime.service.runDueJobs()
            fired += report.done
            if report.done + report.skipped + report.postponed == 0 { break }
        }
        benchmark.stopMeasurement()
        guard fired == due else { throw FixtureError.notFired(fired) }
    }
}

/// A demo school of 3,000 households in a real SQLite file; 2,000 of them have a talk and a web chat, and
/// 1,000,000 jobs wait far in the future.
final class SchedulerFixture: Sendable {
    let configuration: AppConfiguration
    let clock: ManualClock
    let logger: Logger
    let runtime: Runtime
    /// Households with a talk: (household, booking).
    let booked: [(household: Int64, booking: Int64)]
    private let round = Atomic<Int>(0)

    private static let cache = Mutex<SchedulerFixture?>(nil)

    static func shared() async throws -> SchedulerFixture {
        if let cached = cache.withLock({ $0 }) { return cached }
        let made = try await SchedulerFixture()
        cache.withLock { $0 = made }
        return made
    }

    init() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("samenspraak-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        configuration = AppConfiguration(databasePath: folder.appendingPathComponent("samenspraak.sqlite").path,
                                         schoolFile: folder.appendingPathComponent("school.yaml").path,
                                         conversationsDirectory: repository.appendingPathComponent("conversations").path,
                                         localesDirectory: repository.appendingPathComponent("locales").path)
        // A Tuesday morning; every round moves two weeks on, so it stays a Tuesday morning.
        let now = Date(timeIntervalSince1970: 1_795_424_400 + 86_400)
        clock = ManualClock(now)
        var logger = Logger(label: "benchmark")
        logger.logLevel = .critical
        self.logger = logger
        let roster = try DemoSetup.prepare(configuration: configuration, households: 3_000, now: now)
        runtime = try Runtime.load(configuration, clock: clock, logger: logger)
        _ = try RosterImporter.importFile(path: roster, school: runtime.school, database: runtime.database)
        let teachers = runtime.school.teachers.map(\.id)
        booked = try runtime.database.writeNow { tx in
            var slots = try tx.freeSlots(teacherIDs: teachers, from: now)[...]
            var booked: [(Int64, Int64)] = []
            for household in try tx.households() where booked.count < 2_000 {
                guard let householdID = household.id, let child = try tx.children(household: householdID).first, let slot = slots.popFirst() else { continue }
                _ = try tx.insertContact(channel: "webchat", address: "bench-\(householdID)", for: .household(householdID), session: "{}", at: now)
                if case .booked(let booking) = try tx.book(slotID: slot.id ?? 0, childID: child.id, householdID: householdID,
                                                           scope: "child:\(child.id)", icsToken: "bench-\(householdID)", at: now) {
                    booked.append((householdID, booking.id ?? 0))
                }
            }
            // The million waiting jobs: reminders for a year from now.
            let later = now.addingTimeInterval(365 * 86_400)
            for index in 0..<1_000_000 {
                let (household, booking) = booked[index % booked.count]
                try tx.plan(PlannedJob(key: "later:\(index)", kind: "talk_reminder", householdID: household, reference: String(booking),
                                       dueAt: later.addingTimeInterval(Double(index)), expiresAt: later.addingTimeInterval(Double(index) + 3_600)))
            }
            return booked
        }
    }

    /// Moves the clock a fortnight on and plans a reminder, due now, for each household of one half of the
    /// booked ones (the halves take turns); returns how many.
    func makeRoundDue() throws -> Int {
        let round = self.round.add(1, ordering: .relaxed).newValue
        clock.advance(by: 14 * 86_400)
        let now = clock.now()
        let half = booked.count / 2
        let households = booked[(round % 2) * half ..< (round % 2 + 1) * half]
        try runtime.database.writeNow { tx in
            for (household, booking) in households {
                try tx.plan(PlannedJob(key: "round\(round):\(household)", kind: "talk_reminder", householdID: household, reference: String(booking),
                                       dueAt: now, expiresAt: now.addingTimeInterval(3_600)))
            }
        }
        return households.count
    }
}

enum FixtureError: Error {
    case notFired(Int)
}
