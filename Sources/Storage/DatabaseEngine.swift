/// Where a school's rows live: an SQLite file (`SQLiteEngine`) or a PostgreSQL schema (`PostgresEngine`). An engine is
/// migrated when it is opened, and hands out one connection at a time inside a transaction it begins and ends.
public protocol DatabaseEngine: Sendable {
    /// Runs `body` in one write transaction, committed when it returns and rolled back when it throws. The writes of
    /// one process take turns, as they do on SQLite, so a unit of work never races another of the same daemon.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// Runs `body` in one write transaction as `write` does, but returns once it is committed, which may be before it
    /// is on disk: the caller tells nobody of it before `Durability` says it is. The group commit starts its next
    /// batch meanwhile, so the disk's sync overlaps the next batch's work. Readers may see it before it is durable.
    func writeCommitted<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> (T, Durability)

    /// Whether a write runs on the calling thread and never waits on a network (SQLite), so the group commit may write
    /// its batches from a thread of its own with `writeCommittedNow`.
    var writesOnCallingThread: Bool { get }

    /// `writeCommitted` on the calling thread, which it blocks.
    func writeCommittedNow<T>(_ body: (any SQLConnection) throws -> T) throws -> (T, Durability)

    /// A fault that fails every write from now on until the daemon is restarted (SQLite: a sync of its WAL failed), for
    /// the health check; nil while writes work.
    var writeFault: (any Error)? { get }

    /// Runs `body` on a consistent read-only snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// The same for the command line, which has no event loop to wait on; these block the calling thread.
    func writeNow<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    func readNow<T>(_ body: (any SQLConnection) throws -> T) throws -> T

    /// Runs `body` in one write transaction that starts by copying every table into a new SQLite file at `path` (the
    /// rollover's archive): the copy is exactly what `body` starts from.
    func write<T>(archivingTo path: String, _ body: (any SQLConnection) throws -> T) throws -> T

    /// Runs `body` in a write transaction that is then rolled back: what it would do, without doing it.
    func rehearse<T>(_ body: (any SQLConnection) throws -> T) throws -> T

    /// This process's leases on the database (`Leases`).
    var leases: any Leases { get }

    /// Word to and from the other daemons on the database (`Broadcasts`).
    var broadcasts: any Broadcasts { get }

    /// Closes every connection; later reads and writes fail.
    func close() throws
}

/// An engine whose commit returns once it is durable (PostgreSQL's server syncs before it answers COMMIT), and whose
/// writes wait on a network.
extension DatabaseEngine {
    public func writeCommitted<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> (T, Durability) {
        (try await write(body), .immediate)
    }

    public var writesOnCallingThread: Bool { false }

    public var writeFault: (any Error)? { nil }

    public func writeCommittedNow<T>(_ body: (any SQLConnection) throws -> T) throws -> (T, Durability) {
        (try writeNow(body), .immediate)
    }
}

/// When a commit (`DatabaseEngine.writeCommitted`) is on disk.
public struct Durability: Sendable {
    private let notify: @Sendable (@escaping @Sendable ((any Error)?) -> Void) -> Void

    init(notify: @escaping @Sendable (@escaping @Sendable ((any Error)?) -> Void) -> Void) {
        self.notify = notify
    }

    /// Already on disk.
    public static let immediate = Durability { $0(nil) }

    /// Calls `done` once the commit is on disk, or with the error that keeps it from being known there. It may be
    /// called at once, or on another thread: it must only hand the news on.
    public func whenDurable(_ done: @escaping @Sendable ((any Error)?) -> Void) { notify(done) }

    /// Returns once the commit is on disk.
    public func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            whenDurable { error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }
}
