import Dispatch
import Foundation
import Synchronization

/// Makes SQLite's commits durable on a thread of its own, so the one writer goes on to the next transaction while
/// the disk syncs the last.
///
/// The writer connection runs with `synchronous=NORMAL`: in WAL mode a commit then writes its pages to the WAL file
/// without waiting for the disk (the checkpoints still sync the WAL before and the database file after). After each
/// commit the engine asks this for its number and waits until a sync of the WAL that began after it has finished; only
/// then is the commit reported to whoever made it. One sync covers every commit before it, so commits made while the
/// disk was busy share the next one. What a commit wrote is on disk before anyone is told it happened: `FULL` gives the
/// same, but makes the writer wait for the disk at every commit.
///
/// A failed sync is final: the kernel may have dropped the pages it could not write and a later sync could then
/// succeed without them, so no later commit is reported durable either (`DatabaseDiskError`); the daemon must be
/// restarted once the disk is mended.
final class WALSync: Sendable {
    private struct State {
        /// Commits made and commits known to be on disk, counted from the engine's opening.
        var committed: UInt64 = 0
        var synced: UInt64 = 0
        var syncing = false
        var waiting: [(commit: UInt64, done: @Sendable ((any Error)?) -> Void)] = []
        var failure: DatabaseDiskError?
    }

    private let descriptor: Int32
    private let syncFile: @Sendable (Int32) -> Int32
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "samenspraak.wal-sync")

    /// Opens the WAL file of the database at `databasePath`; it must exist (the database is open in WAL mode). The same
    /// file as SQLite's own descriptor: a sync through either writes its pages to disk. `syncFile` is `fdatasync`
    /// (SQLite's own choice on Linux) but in tests of a failing or slow disk (`SQLiteEngine.open(path:syncFile:)`).
    init(databasePath: String, syncFile: @escaping @Sendable (Int32) -> Int32) throws {
        descriptor = open(databasePath + "-wal", O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw DatabaseDiskError(operation: "open the WAL file", code: errno) }
        self.syncFile = syncFile
    }

    deinit { close(descriptor) }

    /// Commits made and commits on disk so far.
    var counts: (committed: UInt64, synced: UInt64) { state.withLock { ($0.committed, $0.synced) } }

    /// Called by the writer right after a commit, before its next transaction: that commit's number.
    func committed() -> UInt64 { state.withLock { $0.committed += 1; return $0.committed } }

    /// A sync that failed, after which nothing can be reported durable.
    var failure: DatabaseDiskError? { state.withLock { $0.failure } }

    /// Fails when an earlier sync failed: nothing written now could be reported durable.
    func checkDisk() throws {
        if let failure { throw failure }
    }

    /// When `commit` is on disk: `done` is called on the sync thread, or at once.
    func durability(of commit: UInt64) -> Durability {
        Durability { done in self.whenDurable(commit, done) }
    }

    private func whenDurable(_ commit: UInt64, _ done: @escaping @Sendable ((any Error)?) -> Void) {
        enum Next { case finished((any Error)?), wait, startSyncing }
        let next = state.withLock { state -> Next in
            if let failure = state.failure { return .finished(failure) }
            if state.synced >= commit { return .finished(nil) }
            state.waiting.append((commit, done))
            guard !state.syncing else { return .wait }
            state.syncing = true
            return .startSyncing
        }
        switch next {
        case .finished(let error): done(error)
        case .wait: break
        case .startSyncing: queue.async { self.syncWhileWaited() }
        }
    }

    /// Syncs at once on the calling thread: for the command line's writes, which block anyway.
    func syncNow(_ commit: UInt64) throws {
        if let error = sync(covering: commit) { throw error }
    }

    /// Syncs until nobody waits: each round covers every commit made before it began.
    private func syncWhileWaited() {
        while let target = state.withLock({ state -> UInt64? in
            if state.waiting.isEmpty { state.syncing = false; return nil }
            return state.committed
        }) {
            _ = sync(covering: target)
        }
    }

    /// One sync of the WAL, which puts every commit up to `target` on disk; tells those waiting for them.
    private func sync(covering target: UInt64) -> DatabaseDiskError? {
        let failed = syncFile(descriptor) == 0 ? nil : DatabaseDiskError(operation: "sync the WAL file", code: errno)
        let (settled, failure) = state.withLock { state in
            state.failure = state.failure ?? failed
            if state.failure == nil { state.synced = max(state.synced, target) }
            let synced = state.failure == nil ? state.synced : .max
            let settled = state.waiting.filter { $0.commit <= synced }
            state.waiting.removeAll { $0.commit <= synced }
            return (settled, state.failure)
        }
        for waiter in settled { waiter.done(failure) }
        return failure
    }
}

/// The disk did not take what the database wrote: a failed sync of the WAL.
public struct DatabaseDiskError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32

    public var description: String {
        "the database's disk failed to \(operation) (\(String(cString: strerror(code)))); nothing is reported stored until the daemon is restarted"
    }
}
