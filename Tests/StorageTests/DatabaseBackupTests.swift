import Foundation
import GRDB
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// `samenspraak backup`'s copy, taken while conversation steps keep committing to the same file.
@Suite(.enabled(if: !TestDatabase.isPostgres, "copies the school's SQLite file")) struct DatabaseBackupTests {
    @Test func aBackupTakenDuringWritesIsConsistentAndOneTakenAfterThemHasTheSameRows() async throws {
        let school = try TestSchool(households: 40)
        let codes = try school.runtime.database.readNow { try $0.households().map(\.inviteCode) }
        let source = school.directory.path("samenspraak.sqlite")
        // Parents opening their chat and typing, one household after the other, as fast as the database takes it.
        let writer = Task {
            for (index, code) in codes.enumerated() {
                for message in 0..<5 {
                    let event = InboundEvent(channel: .webchat, address: "backup-client-\(index)", platformMessageID: "m\(index)-\(message)",
                                             content: .text(message == 0 ? "" : "hallo"))
                    _ = try await school.runtime.service.handle(event, inviteCode: code)
                }
            }
        }
        var copies: [String] = []
        while !Task.isCancelled, copies.count < 3 {
            try await Task.sleep(for: .milliseconds(30))
            let copy = school.directory.path("during-\(copies.count).sqlite")
            let report = try DatabaseBackup.copy(source, to: copy, replacing: false)
            let inBackup = try await DatabaseQueue(path: copy).read { db -> [(String, Int)] in
                #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
                #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
                // Whole steps only: every stored message has its contact, and every contact its first message.
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM contact WHERE id NOT IN (SELECT contactID FROM inbox WHERE contactID IS NOT NULL)") == 0)
                return try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name")
                    .map { ($0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0.quotedDatabaseIdentifier)") ?? 0) }
            }
            #expect(report.tables.map { [$0.table: $0.rows] } == inBackup.map { [$0.0: $0.1] }, "the printed counts are the copy's")
            #expect(report.bytes > 0)
            copies.append(copy)
        }
        try await writer.value
        let inboxCounts = try copies.map { try DatabaseQueue(path: $0).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM inbox") ?? 0 } }
        #expect(inboxCounts.last ?? 0 < codes.count * 5, "the copies were taken while the parents were still writing")

        let after = try DatabaseBackup.copy(source, to: school.directory.path("after.sqlite"), replacing: false)
        let original = try school.runtime.database.readNow { try $0.tableRowCounts() }
        #expect(after.tables.map(\.table) == original.map(\.table))
        #expect(after.tables.map(\.rows) == original.map(\.rows))
        #expect(after.tables.first { $0.table == "inbox" }?.rows == codes.count * 5)
    }

    @Test func aBackupRefusesToOverwriteAndNamesWhatIsWrong() throws {
        let school = try TestSchool(households: 5)
        let source = school.directory.path("samenspraak.sqlite")
        let target = school.directory.path("copy.sqlite")
        _ = try DatabaseBackup.copy(source, to: target, replacing: false)
        #expect(throws: DatabaseBackup.Failure.self) { try DatabaseBackup.copy(source, to: target, replacing: false) }
        let households = try school.runtime.database.readNow { try $0.householdCount() }
        #expect(try DatabaseBackup.copy(source, to: target, replacing: true).tables.first { $0.table == "household" }?.rows == households)
        func failure(_ source: String, _ target: String) -> String {
            do {
                _ = try DatabaseBackup.copy(source, to: target, replacing: false)
                return "no failure"
            } catch { return "\(error)" }
        }
        #expect(failure(source, target) == "\(target) already exists; add --force to replace it.")
        #expect(failure(school.directory.path("none.sqlite"), school.directory.path("x.sqlite"))
                == "There is no database at \(school.directory.path("none.sqlite")) (see --database or the configuration's database).")
        #expect(failure(source, school.directory.path("no/such/folder.sqlite")) == "The folder \(school.directory.path("no/such")) does not exist.")
        #expect(failure(source, school.directory.path("school.yaml/x.sqlite")) == "Cannot write \(school.directory.path("school.yaml/x.sqlite")): \(school.directory.path("school.yaml")) is not a folder.")
        #expect(failure(school.directory.path("school.yaml"), school.directory.path("y.sqlite")).hasPrefix("Cannot read the database \(school.directory.path("school.yaml")): "))
        #expect(!FileManager.default.fileExists(atPath: school.directory.path("y.sqlite")))
    }
}
