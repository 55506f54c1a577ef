import Foundation
import GRDB
@testable import Storage
import Testing
import TestSupport

/// A database made by an older release opens with everything it held: the migrations that rebuild a table
/// keep every row and every reference to it.
@Suite struct MigrationTests {
    @Test func parentsChatsSurviveTheContactTableRebuiltForTeachers() throws {
        let directory = TemporaryDirectory()
        let path = directory.path("old.sqlite")
        let old = try DatabaseQueue(path: path)
        try SQLiteEngine.migrator.migrate(old, upTo: "v4: scheduled jobs; unprompted messages after replies")
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO household (id, key, inviteCode, createdAt) VALUES (1, 'H1', 'AAAABBBBCCCC', '2026-09-01 10:00:00');
                INSERT INTO contact (id, channel, address, householdID, language, session, createdAt, unreachableAt)
                    VALUES (7, 'telegram', '4242', 1, 'ar', '{}', '2026-09-01 10:00:00', NULL);
                INSERT INTO outbox (contactID, channel, address, payload, createdAt) VALUES (7, 'telegram', '4242', '{}', '2026-09-01 10:00:00');
                INSERT INTO inbox (channel, platformMessageID, contactID, receivedAt) VALUES ('telegram', '1', 7, '2026-09-01 10:00:00');
                """)
        }
        try old.close()

        let database = try AppDatabase.open(path: path)
        let contact = try #require(try database.readNow { try $0.contact(channel: "telegram", address: "4242") })
        #expect(contact.id == 7 && contact.householdID == 1 && contact.teacherID == nil && contact.language == "ar")
        #expect(contact.invitee == .household(1))
        #expect(try database.readNow { try $0.outboxCount() } == 1)

        // The database refuses a contact that belongs to nobody, or to a household and a teacher at once.
        #expect(throws: DatabaseError.self) {
            try database.writeNow { tx in
                var both = contact
                both.teacherID = "anouk"
                try tx.updateContact(both)
            }
        }
        // Erasing a household still takes its chats with it.
        _ = try database.writeNow { try $0.execute("DELETE FROM household WHERE id = 1") }
        #expect(try database.readNow { try $0.contact(channel: "telegram", address: "4242") } == nil)
    }

    /// v12: the nightly purge reaches the old messages through an index, so a batch never scans a whole table while it
    /// holds the writer.
    @Test func thePurgeFindsOldMessagesThroughAnIndex() throws {
        let database = try AppDatabase.inMemory()
        for (condition, index) in [(Transaction.purgeableInbox, "inbox_received"), (Transaction.purgeableOutbox, "outbox_created")] {
            let plan = try database.readNow { tx in
                try tx.rows("EXPLAIN QUERY PLAN SELECT id \(condition) LIMIT 500", [Date()]).map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("USING INDEX \(index)") }, "\(plan)")
        }
    }

    /// v22: a step asks whether anything still waits for its chat, and a household that becomes reachable has its
    /// groups' receptions replanned: neither may scan a chat's whole history or every child of the school.
    @Test func aStepsOwnLookupsGoThroughAnIndex() throws {
        let database = try AppDatabase.inMemory()
        let lookups: [(query: String, arguments: [String], index: String)] = [
            ("SELECT 1 \(Transaction.unsentOutbox)", ["telegram", "4242"], "outbox_unsent"),
            ("SELECT id FROM child WHERE groupID = ?", ["1a"], "child_group"),
        ]
        for (query, arguments, index) in lookups {
            let plan = try database.readNow { tx in try tx.rows("EXPLAIN QUERY PLAN \(query)", arguments).map { $0["detail"] as String } }
            #expect(plan.contains { $0.contains("USING INDEX \(index)") }, "\(plan)")
        }
    }
}
