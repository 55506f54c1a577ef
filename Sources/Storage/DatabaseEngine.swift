/// Where a school's rows live: an SQLite file (`SQLiteEngine`) or a PostgreSQL schema (`PostgresEngine`). An engine is
/// migrated when it is opened, and hands out one connection at a time inside a transaction it begins and ends.
public protocol DatabaseEngine: Sendable {
    /// Runs `body` in one write transaction, committed when it returns and rolled back when it throws. The writes of
    /// one process take turns, as they do on SQLite, so a unit of work never races another of the same daemon.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

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
