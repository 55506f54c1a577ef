import Foundation
import GRDB
@testable import Storage
import Testing

/// What the SQLite file's writer runs with. GRDB sets a pool's writer to `synchronous=NORMAL` when it turns WAL on, after
/// the configuration's `prepareDatabase` ran; under NORMAL a commit is not synced, so a power cut could lose a step
/// whose reply was already sent.
@Suite struct SQLiteSettingsTests {
    @Test func theWriterSyncsEveryCommitAndKeepsStatementJournalsInMemory() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let engine = try SQLiteEngine.open(path: folder.appendingPathComponent("school.sqlite").path)
        let (journal, synchronous, tempStore) = try engine.writer.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA temp_store"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 2, "FULL: the WAL is synced at every commit")
        #expect(tempStore == 2, "MEMORY")
    }
}
