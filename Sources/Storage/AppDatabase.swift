import Foundation
import GRDB

/// The one owner of the database connection pool and its migrations; nothing can reach an un-migrated database.
/// SQLite in WAL mode with `synchronous=FULL`, so a committed step survives a power cut.
public struct AppDatabase: Sendable {
    let writer: any DatabaseWriter

    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// Opens (or creates) the database file at `path`, creating its folder.
    public static func open(path: String) throws -> AppDatabase {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return try AppDatabase(DatabasePool(path: path, configuration: makeConfiguration()))
    }

    /// An in-memory database for tests and benchmarks that must not touch the disk.
    public static func inMemory() throws -> AppDatabase {
        try AppDatabase(DatabaseQueue(configuration: makeConfiguration()))
    }

    static func makeConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // FULL: the WAL is synced at every commit, so "confirmed" means "on disk".
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// Runs `body` in one write transaction.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await writer.write { db in try body(Transaction(db)) }
    }

    /// Runs several units of work in one transaction (one disk sync), each in its own savepoint so one
    /// failing unit leaves the others intact. Returns each unit's result in order.
    public func writeBatch(_ units: [@Sendable (Transaction) throws -> any Sendable]) async throws -> [Result<any Sendable, any Error>] {
        try await writer.write { db in
            var results: [Result<any Sendable, any Error>] = []
            results.reserveCapacity(units.count)
            for unit in units {
                var result: Result<any Sendable, any Error> = .failure(CancellationError())
                try db.inSavepoint {
                    do {
                        result = .success(try unit(Transaction(db)))
                        return .commit
                    } catch {
                        result = .failure(error)
                        return .rollback
                    }
                }
                results.append(result)
            }
            return results
        }
    }

    /// Runs `body` on a read-only snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await writer.read { db in try body(Transaction(db)) }
    }

    /// Synchronous variants for the command line, which has no event loop to wait on.
    public func writeNow<T>(_ body: (Transaction) throws -> T) throws -> T {
        try writer.write { db in try body(Transaction(db)) }
    }

    public func readNow<T>(_ body: (Transaction) throws -> T) throws -> T {
        try writer.read { db in try body(Transaction(db)) }
    }
}
