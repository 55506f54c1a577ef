import Foundation

/// The one way into a school's database, whichever engine keeps it; nothing can reach an un-migrated database
/// (an engine migrates when it opens). Work is handed a `Transaction`.
public struct AppDatabase: Sendable {
    public let engine: any DatabaseEngine

    public init(engine: any DatabaseEngine) {
        self.engine = engine
    }

    /// Opens (or creates) the SQLite file at `path`, creating its folder.
    public static func open(path: String) throws -> AppDatabase {
        AppDatabase(engine: try SQLiteEngine.open(path: path))
    }

    /// An in-memory SQLite database for tests and benchmarks that must not touch the disk.
    public static func inMemory() throws -> AppDatabase {
        AppDatabase(engine: try SQLiteEngine.inMemory())
    }

    /// This process's leases: on work that must run in one place, and on its own life (`Leases`).
    public var leases: any Leases { engine.leases }

    /// Word to and from the other daemons on the database (`Broadcasts`).
    public var broadcasts: any Broadcasts { engine.broadcasts }

    /// Runs `body` in one write transaction.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await engine.write { try body(Transaction($0)) }
    }

    /// Runs several units of work in one transaction (one disk sync); one failing unit leaves the others intact.
    /// They run together first, without a savepoint each: in a savepoint SQLite copies every page a unit changes into
    /// the savepoint's journal first, and PostgreSQL takes two more round trips. Only when a unit fails does that
    /// transaction roll back and the batch run again with each unit in its own savepoint, so a unit may run twice: it
    /// must do nothing outside the database that a second run would repeat (a log line may show twice). Returns each
    /// unit's result in order once the transaction is committed, and when it is on disk: until then nobody may be told
    /// of it (`DatabaseEngine.writeCommitted`).
    public func writeBatch(_ units: [@Sendable (Transaction) throws -> any Sendable]) async throws -> ([Result<any Sendable, any Error>], Durability) {
        do {
            return try await engine.writeCommitted(Self.together(units))
        } catch let failure as UnitFailure {
            guard units.count > 1 else { return ([.failure(failure.error)], .immediate) }
            // Nothing of that transaction stayed: once more, each unit on its own. (A failed commit fails them all, as
            // before: nothing of the batch is durable.)
            return try await engine.writeCommitted(Self.apart(units))
        }
    }

    /// The same on the calling thread, for an engine that writes there (`DatabaseEngine.writesOnCallingThread`).
    public func writeBatchNow(_ units: [@Sendable (Transaction) throws -> any Sendable]) throws -> ([Result<any Sendable, any Error>], Durability) {
        do {
            return try engine.writeCommittedNow(Self.together(units))
        } catch let failure as UnitFailure {
            guard units.count > 1 else { return ([.failure(failure.error)], .immediate) }
            return try engine.writeCommittedNow(Self.apart(units))
        }
    }

    /// The units of a batch one after the other; the first to fail throws `UnitFailure`.
    private static func together(_ units: [@Sendable (Transaction) throws -> any Sendable]) -> @Sendable (any SQLConnection) throws -> [Result<any Sendable, any Error>] {
        { connection in
            let tx = Transaction(connection)
            return try units.map { unit in
                do { return .success(try unit(tx)) } catch { throw UnitFailure(error: error) }
            }
        }
    }

    /// The units of a batch each in a savepoint of its own, so one that fails is undone alone.
    private static func apart(_ units: [@Sendable (Transaction) throws -> any Sendable]) -> @Sendable (any SQLConnection) throws -> [Result<any Sendable, any Error>] {
        { connection in units.map { unit in Result { try connection.savepoint { try unit(Transaction(connection)) } } } }
    }

    /// A unit of a batch failed with `error`, which rolls the batch's transaction back.
    private struct UnitFailure: Error {
        let error: any Error
    }

    /// Runs `body` on a read-only snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await engine.read { try body(Transaction($0)) }
    }

    /// Synchronous variants for the command line, which has no event loop to wait on.
    public func writeNow<T>(_ body: (Transaction) throws -> T) throws -> T {
        try engine.writeNow { try body(Transaction($0)) }
    }

    public func readNow<T>(_ body: (Transaction) throws -> T) throws -> T {
        try engine.readNow { try body(Transaction($0)) }
    }

    /// Closes every connection; later reads and writes fail. For an orderly end, and for tests of a daemon whose
    /// database has gone away.
    public func close() throws { try engine.close() }
}
