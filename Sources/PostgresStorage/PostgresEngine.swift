import Foundation
import Logging
import PostgresNIO
import Storage

/// A school's schema on PostgreSQL as a `DatabaseEngine`: one writer connection, whose transactions take turns as on
/// SQLite, a few reader connections for concurrent read-only snapshots, and one for the leases and broadcasts.
/// Transaction bodies are synchronous and each statement blocks, so they run on dispatch queues (or the command line's
/// thread), never on Swift's cooperative pool.
public final class PostgresEngine: DatabaseEngine {
    private let writer: PostgresSQLConnection
    /// Held for a whole write transaction: async writes and the command line's `writeNow` take turns on the writer.
    private let writerLock = NSLock()
    /// Async writes wait here rather than on the lock, so waiting writes hold one thread, not one each.
    private let writerQueue = DispatchQueue(label: "samenspraak.postgres.writer")
    private let readers: PostgresReaderPool
    private let connector: PostgresConnector
    private let state = PostgresLocked(false)   // closed
    /// Advisory locks, on a connection of their own (`PostgresLeases`).
    private let postgresLeases: PostgresLeases
    public var leases: any Leases { postgresLeases }
    public var broadcasts: any Broadcasts { postgresLeases }

    /// Connects the writer and `readers` readers, then migrates the schema through the writer.
    public static func open(_ location: PostgresLocation, logger: Logger, readers: Int = 2) async throws -> PostgresEngine {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try openNow(location, logger: logger, readers: readers) }) }
        }
    }

    /// The same, blocking the calling thread (start-up and the command line).
    public static func openNow(_ location: PostgresLocation, logger: Logger, readers: Int = 2) throws -> PostgresEngine {
        let connector = try PostgresConnector(location, logger: logger)
        let statements = PostgresStatementCache()
        var opened: [PostgresSQLConnection] = []
        do {
            for _ in 0..<(1 + max(1, readers)) {
                opened.append(PostgresSQLConnection(try connector.connectNow(), logger: logger, statements: statements))
            }
        } catch {
            for connection in opened { connection.close() }
            throw error
        }
        let leases: PostgresLeases
        do {
            leases = try PostgresLeases(connector: connector, schema: location.schema, logger: logger)
        } catch {
            for connection in opened { connection.close() }
            throw error
        }
        let engine = PostgresEngine(writer: opened[0], readers: Array(opened.dropFirst()), leases: leases, connector: connector)
        do {
            _ = try engine.writeNow { try PostgresSchema.migrate($0, schema: location.schema, logger: logger) }
        } catch {
            try? engine.close()
            throw error
        }
        return engine
    }

    private init(writer: PostgresSQLConnection, readers: [PostgresSQLConnection], leases: PostgresLeases, connector: PostgresConnector) {
        self.writer = writer
        self.postgresLeases = leases
        self.readers = PostgresReaderPool(readers)
        self.connector = connector
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writerQueue.async { continuation.resume(with: Result { try self.writeNow(body) }) }
        }
    }

    /// The read goes to its reader's queue straight from the pool, without waking this task in between: a reader is
    /// then always given back by a dispatch queue, never by a task waiting for a thread of Swift's cooperative pool,
    /// which callers of `readNow` (tests, the command line) may all be holding while they wait for a reader.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            readers.whenFree { reader in
                guard let reader else { return continuation.resume(throwing: PostgresEngineClosed()) }
                reader.queue.async {
                    continuation.resume(with: Result { try self.reading(on: reader, body) })
                    self.readers.give(reader)
                }
            }
        }
    }

    public func writeNow<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try writing(commits: true, body)
    }

    public func readNow<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        let reader = try readers.takeNow()
        defer { readers.give(reader) }
        return try reading(on: reader, body)
    }

    /// The rollover's archive: every table is first locked against the other daemons' writes (they wait until this
    /// transaction ends), then copied, as this transaction reads it, into a new SQLite file with the same schema.
    public func write<T>(archivingTo path: String, _ body: (any SQLConnection) throws -> T) throws -> T {
        try writing(commits: true) { connection in
            let tables = try connection.tableNames()
            try connection.execute("LOCK TABLE \(tables.joined(separator: ", ")) IN SHARE MODE", [])
            guard !FileManager.default.fileExists(atPath: path) else { throw ArchiveExists(path: path) }
            let archive = try SQLiteEngine.open(path: path)
            defer { try? archive.close() }
            try archive.writeNow { sqlite in
                // Tables in any order: a row's references are checked when the copy commits.
                try sqlite.execute("PRAGMA defer_foreign_keys = ON", [])
                for table in tables {
                    let rows = try connection.rows("SELECT * FROM \(table)", [])
                    guard let first = rows.first else { continue }
                    try sqlite.insert(into: table, columns: first.columns.names, rows: rows.map(\.values), maximumArguments: 30_000)
                }
            }
            return try body(connection)
        }
    }

    public func rehearse<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try writing(commits: false, body)
    }

    /// Waits for a running write to end, then closes every connection; a reader still in use closes when it is given back.
    public func close() throws {
        writerLock.lock()
        defer { writerLock.unlock() }
        guard !state.exchange(true) else { return }
        writer.close()
        readers.close()
        postgresLeases.close()
    }

    private func writing<T>(commits: Bool, _ body: (any SQLConnection) throws -> T) throws -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        guard !state.value else { throw PostgresEngineClosed() }
        return try writer.transaction("BEGIN", commits: commits, reconnect: connector.connectNow, body)
    }

    private func reading<T>(on reader: PostgresSQLConnection, _ body: (any SQLConnection) throws -> T) throws -> T {
        guard !state.value else { throw PostgresEngineClosed() }
        return try reader.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", commits: true, reconnect: connector.connectNow, body)
    }
}

/// The rollover's archive file is there already.
public struct ArchiveExists: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "\(path) exists already" }
}

/// A read or write after `close()`.
public struct PostgresEngineClosed: Error, CustomStringConvertible {
    public var description: String { "the PostgreSQL engine is closed" }
}

/// Makes the engine's connections: each works in the school's schema and in UTC.
struct PostgresConnector: Sendable {
    private let configuration: PostgresConnection.Configuration
    private let schema: String
    private let logger: Logger
    private let ids = PostgresLocked(0)

    init(_ location: PostgresLocation, logger: Logger) throws {
        configuration = try location.configuration
        schema = location.schema
        self.logger = logger
    }

    func connect() -> EventLoopFuture<PostgresConnection> {
        let id = ids.update { $0 += 1; return $0 }
        let (logger, schema) = (self.logger, self.schema)
        return PostgresConnection.connect(on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration, id: id, logger: logger)
            .flatMap { connection in
                // The schema name was checked to be an identifier (PostgresLocation), so it may be written into the SQL.
                connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \(schema)"), logger: logger)
                    .flatMap { _ in connection.query("SET TIME ZONE 'UTC'", logger: logger) }
                    .map { _ in connection }
                    .flatMapError { error in connection.close().flatMapThrowing { throw error } }
            }
    }

    /// For a thread that may block.
    func connectNow() throws -> PostgresConnection { try connect().wait() }
}
