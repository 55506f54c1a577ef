import Foundation
import GRDB
import GRDBSQLite

/// The embedded default: one SQLite file through GRDB, in WAL mode with `synchronous=FULL`, so a committed step
/// survives a power cut. SQLite has one writer at a time; readers read the last commit meanwhile.
public final class SQLiteEngine: DatabaseEngine {
    let writer: any DatabaseWriter
    /// Syncs the file's commits off the writer (nil in memory, where nothing is synced).
    let sync: WALSync?
    let columns = SQLColumnsCache()
    public let leases: any Leases = LocalLeases()
    public var broadcasts: any Broadcasts { NoBroadcasts() }

    /// `syncFile`: how a file's WAL is synced (`WALSync`); nil in memory, where nothing is synced.
    init(_ writer: any DatabaseWriter, syncFile: (@Sendable (Int32) -> Int32)?) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
        if let pool = writer as? DatabasePool, let syncFile {
            // From here on a commit does not wait for the disk; `WALSync` syncs it before anyone hears of it.
            sync = try WALSync(databasePath: pool.path, syncFile: syncFile)
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = NORMAL") }
        } else {
            sync = nil
        }
    }

    /// Opens (or creates) the database file at `path`, creating its folder.
    public static func open(path: String) throws -> SQLiteEngine { try open(path: path, syncFile: { fdatasync($0) }) }

    /// `syncFile`: how the WAL is synced (`WALSync`), for tests of a failing or slow disk.
    static func open(path: String, syncFile: @escaping @Sendable (Int32) -> Int32) throws -> SQLiteEngine {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let pool = try DatabasePool(path: path, configuration: configuration())
        // FULL while the schema is migrated: the WAL is synced at every commit, so "confirmed" means "on disk". Set
        // here, on the writer once the pool is open: GRDB sets it to NORMAL when it turns WAL on, after
        // `prepareDatabase` ran. The engine then syncs through `WALSync` instead.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        return try SQLiteEngine(pool, syncFile: syncFile)
    }

    /// An in-memory database for tests and benchmarks that must not touch the disk.
    public static func inMemory() throws -> SQLiteEngine {
        try SQLiteEngine(DatabaseQueue(configuration: configuration()), syncFile: nil)
    }

    /// The file, or nil in memory.
    public var path: String? { writer is DatabasePool ? writer.path : nil }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // The undo pages of a savepoint (a booking's insert, a group commit's units run again one by one) and of a
            // statement that changes many rows stay in memory instead of going to a new temporary file at every commit.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        return configuration
    }

    /// The schema's steps (`Schema`) as GRDB runs them, each once, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in Schema.migrations {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sqlite) }
        }
        return migrator
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let (value, durability) = try await writeCommitted(body)
        try await durability.wait()
        return value
    }

    public func writeCommitted<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> (T, Durability) {
        try sync?.checkDisk()
        let (value, commit) = try await writer.writeWithoutTransaction { db in try self.commit(db, body) }
        return (value, durability(of: commit))
    }

    public var writesOnCallingThread: Bool { true }

    public var writeFault: (any Error)? { sync?.failure }

    public func writeCommittedNow<T>(_ body: (any SQLConnection) throws -> T) throws -> (T, Durability) {
        try sync?.checkDisk()
        let (value, commit) = try writer.writeWithoutTransaction { db in try self.commit(db, body) }
        return (value, durability(of: commit))
    }

    private func durability(of commit: UInt64?) -> Durability {
        guard let sync, let commit else { return .immediate }
        return sync.durability(of: commit)
    }

    /// Runs `body` in a transaction on the writer and commits it; the commit's number for `WALSync`.
    private func commit<T>(_ db: Database, _ body: (any SQLConnection) throws -> T) throws -> (T, UInt64?) {
        var value: T?
        try db.inTransaction(.immediate) {
            value = try body(GRDBConnection(db, columns: columns))
            return .commit
        }
        // Taken before the writer's next transaction, so a sync begun after this covers this commit.
        return (value!, sync?.committed())
    }

    /// Commits `body` and waits for the disk on the calling thread.
    private func commitNow<T>(_ db: Database, _ body: (any SQLConnection) throws -> T) throws -> T {
        try sync?.checkDisk()
        let (value, commit) = try commit(db, body)
        if let commit { try sync?.syncNow(commit) }
        return value
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await writer.read { db in try body(GRDBConnection(db, columns: self.columns)) }
    }

    public func writeNow<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in try commitNow(db, body) }
    }

    public func readNow<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try writer.read { db in try body(GRDBConnection(db, columns: self.columns)) }
    }

    public func rehearse<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(GRDBConnection(db, columns: self.columns))
                return .rollback
            }
            return result!
        }
    }

    /// Runs `body` in one write transaction that starts by copying the whole database into a new SQLite file at `path`
    /// (the same online backup as `samenspraak backup`): the copy is exactly what `body` starts from.
    public func write<T>(archivingTo path: String, _ body: (any SQLConnection) throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        return try writer.writeWithoutTransaction { db in
            try commitNow(db) { connection in
                // SQLite cannot back up through a connection in a write transaction; the backup's own connection reads
                // the last commit, which is what this transaction starts from, as it holds the write lock from its
                // first statement (BEGIN IMMEDIATE).
                _ = try DatabaseBackup.copy(writer.path, to: path, replacing: false)
                return try body(connection)
            }
        }
    }

    public func close() throws { try writer.close() }
}

/// `SQLConnection` on one GRDB connection inside its transaction. Statements are prepared once per connection and
/// kept (GRDB's statement cache): the application has a fixed set of them.
final class GRDBConnection: SQLConnection {
    let db: Database
    let columns: SQLColumnsCache

    init(_ db: Database, columns: SQLColumnsCache = SQLColumnsCache()) {
        self.db = db
        self.columns = columns
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try translatingConstraints {
            let statement = try db.cachedStatement(sql: sql)
            if runsDirectly(sql) {
                try DirectStatement.run(statement, arguments, in: db) { _ in }
            } else {
                try statement.execute(arguments: Self.arguments(arguments))
            }
        }
        return db.changesCount
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try translatingConstraints {
            let statement = try db.cachedStatement(sql: sql)
            let columns = columns.columns(of: sql, count: statement.columnCount) { statement.columnNames }
            var rows: [SQLRow] = []
            if runsDirectly(sql) {
                try DirectStatement.run(statement, arguments, in: db) { row in rows.append(SQLRow(columns: columns, values: row)) }
                return rows
            }
            let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
            while let row = try cursor.next() {
                rows.append(SQLRow(columns: columns, values: row.databaseValues.map(Self.value)))
            }
            return rows
        }
    }

    /// A query or a change of rows inside the transaction runs on SQLite's own interface (`DirectStatement`); the rest
    /// goes through GRDB, which keeps track of what they do: schema changes, savepoints, and a transaction SQLite
    /// rolled back by itself (after that the connection is out of its transaction, and GRDB refuses the statement).
    private func runsDirectly(_ sql: String) -> Bool {
        sqlite3_get_autocommit(db.sqliteConnection) == 0 && DirectStatement.changesRowsOnly(sql)
    }

    func savepoint<T>(_ body: () throws -> T) throws -> T {
        var result: Result<T, any Error> = .failure(CancellationError())
        try db.inSavepoint {
            do {
                result = .success(try body())
                return .commit
            } catch {
                result = .failure(error)
                return .rollback
            }
        }
        return try result.get()
    }

    var isShared: Bool { false }

    func tableNames() throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name")
    }

    /// Boxed as `DatabaseValueConvertible?`: GRDB's initialiser for a sequence of one concrete type builds a key path
    /// anew at every call, which was 1.7 % of the daemon's CPU under load.
    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .null: DatabaseValue.null
            case .integer(let integer): integer.databaseValue
            case .real(let real): real.databaseValue
            case .text(let text): text.databaseValue
            case .blob(let data): data.databaseValue
            case .bool(let bool): bool.databaseValue
            // GRDB's own text for a date, so new rows compare and sort with the rows it wrote before.
            case .date(let date): SQLDateText.text(date).databaseValue
            }
        })
    }

    static func value(_ stored: DatabaseValue) -> SQLValue {
        switch stored.storage {
        case .null: .null
        case .int64(let integer): .integer(integer)
        case .double(let real): .real(real)
        case .string(let text): .text(text)
        case .blob(let data): .blob(data)
        }
    }

    /// SQLite says "UNIQUE constraint failed: booking.childID, booking.scope"; the contract says table and columns.
    private func translatingConstraints<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError
                    where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            let message = error.message ?? "UNIQUE constraint failed"
            let names = message.split(separator: ":", maxSplits: 1).last.map { $0.split(separator: ",") } ?? []
            let qualified = names.map { $0.trimmingCharacters(in: .whitespaces).split(separator: ".") }
            throw SQLConstraintError.unique(table: qualified.first?.first.map(String.init),
                                            columns: qualified.compactMap { $0.last.map { $0.lowercased() } }, message: message)
        }
    }
}
