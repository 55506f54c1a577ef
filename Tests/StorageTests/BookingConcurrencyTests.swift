import Foundation
import Storage
import Testing
import TestSupport

@Suite struct BookingConcurrencyTests {
    @Test func manyConcurrentAttemptsOnOneSlotHaveExactlyOneWinner() async throws {
        let school = try TestSchool(households: 60)
        let database = school.runtime.database
        let committer = GroupCommitter(database: database)
        // Children of different households, all wanting the same first free slot.
        let (slotID, candidates) = try database.readNow { tx -> (Int64, [(String, Int64)]) in
            let slot = try #require(try tx.freeSlots(teacherIDs: school.runtime.school.teachers.map(\.id), from: TestSchool.start).first)
            let pairs = try tx.households().prefix(40).compactMap { household -> (String, Int64)? in
                try tx.children(household: household.id ?? 0).first.map { ($0.id, household.id ?? 0) }
            }
            return (slot.id ?? 0, pairs)
        }
        let outcomes = try await withThrowingTaskGroup(of: Transaction.BookOutcome.self) { group in
            for (index, (childID, householdID)) in candidates.enumerated() {
                group.addTask {
                    try await committer.perform { tx in
                        try tx.book(slotID: slotID, childID: childID, householdID: householdID, scope: "child:\(childID)/household:\(householdID)",
                                    icsToken: "token-\(index)", at: TestSchool.start)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .booked = $0 { true } else { false } }.count == 1)
        #expect(outcomes.filter { $0 == .slotTaken }.count == candidates.count - 1)
        #expect(try database.readNow { try $0.activeBookingCount() } == 1)
    }

    @Test func aChildCannotHoldTwoActiveTalksInOneScope() throws {
        let school = try TestSchool(households: 10)
        let database = school.runtime.database
        try database.writeNow { tx in
            let slots = try tx.freeSlots(teacherIDs: school.runtime.school.teachers.map(\.id), from: TestSchool.start)
            let first = try tx.book(slotID: slots[0].id!, childID: "1001", householdID: 1, scope: "child:1001", icsToken: "a", at: TestSchool.start)
            let second = try tx.book(slotID: slots[1].id!, childID: "1001", householdID: 1, scope: "child:1001", icsToken: "b", at: TestSchool.start)
            if case .booked = first {} else { Issue.record("first booking should succeed") }
            #expect(second == .alreadyBooked)
        }
    }
}
