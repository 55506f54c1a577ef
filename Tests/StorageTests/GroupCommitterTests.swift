import Foundation
import Storage
import Synchronization
import Testing
import TestSupport

/// The group commit: units of work from many callers share one transaction, and one that fails leaves the others intact.
@Suite struct GroupCommitterTests {
    struct Refused: Error {}

    /// How often each unit ran, and how many callers are about to hand theirs over.
    final class Runs: Sendable {
        private let counts = Mutex<[Int: Int]>([:])
        private let callers = Mutex(0)
        func ran(_ unit: Int) { counts.withLock { $0[unit, default: 0] += 1 } }
        var all: [Int: Int] { counts.withLock { $0 } }
        func calling() { callers.withLock { $0 += 1 } }
        var calls: Int { callers.withLock { $0 } }
    }

    @Test func aFailingUnitLeavesTheOthersOfItsBatchIntact() async throws {
        let school = try TestSchool(households: 5)
        let committer = GroupCommitter(database: school.runtime.database)
        let runs = Runs()
        // The first unit holds the writer until every caller is on its way (and a moment more, to reach the committer),
        // so the units gather behind it in one batch however busy the machine is.
        let gate = Task {
            try await committer.perform { _ in
                let deadline = Date().addingTimeInterval(10)
                while runs.calls < 12, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        let failed = await withTaskGroup(of: Int?.self) { group in
            for unit in 0..<12 {
                group.addTask {
                    runs.calling()
                    do {
                        try await committer.perform { tx in
                            runs.ran(unit)
                            try tx.storeReceived(channel: "test", messages: [("m\(unit)", "{}")], at: TestSchool.start)
                            if unit == 5 { throw Refused() }
                        }
                        return nil
                    } catch {
                        return error is Refused ? unit : -1
                    }
                }
            }
            return await group.reduce(into: [Int]()) { if let unit = $1 { $0.append(unit) } }
        }
        try await gate.value
        #expect(failed == [5], "only the failing unit's caller gets an error, and its own")
        let stored = try school.runtime.database.readNow { try $0.unprocessedInbox(channel: "test") }.map(\.platformMessageID)
        #expect(Set(stored) == Set((0..<12).filter { $0 != 5 }.map { "m\($0)" }), "its write undone, the others' kept, each once")
        // Together first, then (after the failure rolled that back) each in a savepoint of its own: twice at most.
        #expect(runs.all.values.allSatisfy { $0 <= 2 })
        #expect(runs.all[5] == 2)
    }

    @Test func aUnitThatFailsAloneRunsOnce() async throws {
        let school = try TestSchool(households: 5)
        let committer = GroupCommitter(database: school.runtime.database)
        let runs = Runs()
        await #expect(throws: Refused.self) {
            try await committer.perform { tx in
                runs.ran(0)
                try tx.storeReceived(channel: "test", messages: [("alone", "{}")], at: TestSchool.start)
                throw Refused()
            }
        }
        #expect(runs.all[0] == 1)
        #expect(try school.runtime.database.readNow { try $0.unprocessedInbox(channel: "test") }.isEmpty)
        // The writer is free and works: the next unit commits.
        try await committer.perform { tx in try tx.storeReceived(channel: "test", messages: [("next", "{}")], at: TestSchool.start) }
        #expect(try school.runtime.database.readNow { try $0.unprocessedInbox(channel: "test") }.map(\.platformMessageID) == ["next"])
    }
}
