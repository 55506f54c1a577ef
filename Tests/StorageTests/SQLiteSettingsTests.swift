import Foundation
import GRDB
import Synchronization
@testable import Storage
import Testing

/// What the SQLite file's writer runs with. Its commits do not wait for the disk (`synchronous=NORMAL`); `WALSync` syncs
/// the WAL on a thread of its own, and a write is reported only once the disk has it.
@Suite struct SQLiteSettingsTests {
    @Test func theWriterLeavesTheSyncToWALSyncAndKeepsStatementJournalsInMemory() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let engine = try SQLiteEngine.open(path: folder.appendingPathComponent("school.sqlite").path)
        let (journal, synchronous, tempStore) = try engine.writer.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA temp_store"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 1, "NORMAL: a commit does not wait for the disk; WALSync syncs it")
        #expect(tempStore == 2, "MEMORY")
        #expect(engine.sync != nil)
    }
}

/// The WAL is synced off the writer: nobody hears of a commit before a sync that began after it has finished, many
/// commits share a sync, and a failed sync fails its commits and every later write.
@Suite struct WALSyncTests {
    /// A disk that takes `delay` to sync, counting its syncs, or fails every sync once `failing` is set.
    final class Disk: Sendable {
        private let state = Mutex((syncs: 0, failing: false))
        let delay: TimeInterval
        init(delay: TimeInterval) { self.delay = delay }
        var syncs: Int { state.withLock { $0.syncs } }
        func fail() { state.withLock { $0.failing = true } }

        func sync(_ descriptor: Int32) -> Int32 {
            Thread.sleep(forTimeInterval: delay)
            let failing = state.withLock { state in
                state.syncs += 1
                return state.failing
            }
            guard !failing else { errno = EIO; return -1 }
            return fdatasync(descriptor)
        }
    }

    func open(_ disk: Disk) throws -> (SQLiteEngine, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("walsync-\(UUID().uuidString)")
        let engine = try SQLiteEngine.open(path: folder.appendingPathComponent("school.sqlite").path, syncFile: disk.sync)
        return (engine, folder)
    }

    @Test func aGroupCommitsCallersHearOfItOnlyOnceTheDiskHasItAndShareSyncs() async throws {
        let disk = Disk(delay: 0.02)
        let (engine, folder) = try open(disk)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sync = try #require(engine.sync)
        let committer = GroupCommitter(database: AppDatabase(engine: engine))
        let syncsBefore = disk.syncs
        // Each unit notes the number its batch's commit will get (the writer numbers a commit once it is made).
        let late = await withTaskGroup(of: Bool.self) { group in
            for unit in 0..<60 {
                group.addTask {
                    let commit = try? await committer.perform { tx in
                        try tx.storeReceived(channel: "test", messages: [("m\(unit)", "{}")], at: Date())
                        return sync.counts.committed + 1
                    }
                    guard let commit else { return true }
                    return sync.counts.synced < commit
                }
            }
            return await group.reduce(into: false) { $0 = $0 || $1 }
        }
        #expect(!late, "every caller heard of its commit after it was synced")
        let stored = try engine.readNow { try Transaction($0).unprocessedInbox(channel: "test") }
        #expect(stored.count == 60)
        #expect(disk.syncs - syncsBefore < 30, "commits made while the disk was busy share the next sync")
        // A write of its own waits for its sync too.
        let commit = try await engine.write { _ in sync.counts.committed + 1 }
        #expect(sync.counts.synced >= commit)
    }

    @Test func aFailedSyncFailsItsCommitsAndEveryWriteAfter() async throws {
        let disk = Disk(delay: 0)
        let (engine, folder) = try open(disk)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = AppDatabase(engine: engine)
        let committer = GroupCommitter(database: database)
        try await committer.perform { try $0.storeReceived(channel: "test", messages: [("before", "{}")], at: Date()) }
        #expect(engine.writeFault == nil)
        disk.fail()
        await #expect(throws: DatabaseDiskError.self) {
            try await committer.perform { try $0.storeReceived(channel: "test", messages: [("lost", "{}")], at: Date()) }
        }
        // The kernel may have dropped what it could not write, and a later sync could succeed without it: nothing
        // after is reported stored either, by any way of writing.
        await #expect(throws: DatabaseDiskError.self) { try await database.write { try $0.storeReceived(channel: "test", messages: [("after", "{}")], at: Date()) } }
        #expect(throws: DatabaseDiskError.self) { try database.writeNow { try $0.storeReceived(channel: "test", messages: [("now", "{}")], at: Date()) } }
        let stored = try database.readNow { try $0.unprocessedInbox(channel: "test") }.map(\.platformMessageID)
        #expect(stored.contains("before"))
        #expect(!stored.contains("after") && !stored.contains("now"), "refused before it was written")
        #expect(engine.writeFault is DatabaseDiskError, "/healthz reports the fault")
    }
}
