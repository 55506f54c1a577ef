import Foundation
import PostgresNIO
import PostgresStorage
import Storage
import Testing
import TestSupport

/// A school's SQLite database copied into PostgreSQL (`samenspraak migrate-to-postgres`), proven by row counts and
/// checksums per table; a second copy into the same schema is refused and changes nothing.
@Suite(.enabled(if: PostgresServer.url != nil || PostgresServer.isRequired, "needs SAMENSPRAAK_POSTGRES_URL"),
       .enabled(if: !TestDatabase.isPostgres, "copies from the school's SQLite file"))
struct SQLiteToPostgresTests {
    @Test func aSchoolIsCopiedWholeAndTheCopyIsProven() async throws {
        let school = try TestSchool(households: 12)
        let now = TestSchool.start
        try school.runtime.database.writeNow { tx in
            // Rows of every kind of value: dates, booleans, integers, texts with Arabic and quotes, NULLs.
            let household = try #require(try tx.households().first)
            let child = try #require(try tx.children(household: household.id ?? 0).first)
            let slot = try #require(try tx.freeSlots(teacherIDs: school.runtime.school.teachers.map(\.id), from: now).first)
            _ = try tx.book(slotID: slot.id ?? 0, childID: child.id, householdID: household.id ?? 0, scope: "child:\(child.id)", icsToken: "ics-token-1", at: now)
            let contact = try tx.insertContact(channel: "telegram", address: "5550001", for: .household(household.id ?? 0), session: "{}", at: now)
            _ = try tx.recordInbound(channel: "telegram", platformMessageID: "1001", contactID: contact.id, text: "مرحبا \"juf\"", at: now)
            _ = try tx.enqueue(contactID: contact.id ?? 0, channel: "telegram", address: "5550001", payload: #"{"text":"Gepland!"}"#, unprompted: true, at: now)
        }
        let counts = try school.runtime.database.readNow { try $0.tableRowCounts() }
        try await PostgresServer.withFreshSchema { location, connection in
            let copied = try await SQLiteToPostgres.copy(from: school.runtime.database, to: location, logger: PostgresServer.logger)
            #expect(Dictionary(uniqueKeysWithValues: copied.map { ($0.name, $0.rows) }) == Dictionary(uniqueKeysWithValues: counts.map { ($0.table, $0.rows) }))
            #expect(copied.first { $0.name == "booking" }?.rows == 1 && copied.first { $0.name == "slot" }?.rows ?? 0 > 100)
            // Identity columns go on after the copied ids: a new household gets the next id, not 1.
            let next = try await connection.query(PostgresQuery(unsafeSQL: """
                INSERT INTO \(location.schema).household (key, inviteCode, createdAt) VALUES ('NEW', 'NEWCODE', now()) RETURNING id
                """), logger: PostgresServer.logger)
            for try await id in next.decode(Int64.self) { #expect(id == Int64(counts.first { $0.table == "household" }?.rows ?? 0) + 1) }

            await #expect(throws: SQLiteToPostgres.Refusal.self) {
                try await SQLiteToPostgres.copy(from: school.runtime.database, to: location, logger: PostgresServer.logger)
            }
            let bookings = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(location.schema).booking"), logger: PostgresServer.logger)
            for try await count in bookings.decode(Int.self) { #expect(count == 1) }
        }
    }
}
