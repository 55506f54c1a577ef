import Foundation
import Logging
import PostgresNIO
import Storage

/// One server connection as the storage contract's `SQLConnection`. Each statement waits for postgres-nio's future,
/// so it runs only on a thread that may block (the engine's queues or the command line's own thread), and one
/// transaction at a time: the engine hands it out under a lock.
final class PostgresSQLConnection: SQLConnection, @unchecked Sendable {
    private(set) var connection: PostgresConnection
    /// Where a reader's async transactions run. A queue of its own, not a shared concurrent one: Dispatch gives a
    /// concurrent queue about as many threads as the machine has cores, so blocked statements could hold the others up.
    let queue = DispatchQueue(label: "samenspraak.postgres.connection")
    private let logger: Logger
    private let statements: PostgresStatementCache
    private var savepointDepth = 0

    init(_ connection: PostgresConnection, logger: Logger, statements: PostgresStatementCache) {
        self.connection = connection
        self.logger = logger
        self.statements = statements
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        let result = try run(sql, arguments)
        guard let first = result.rows.first else { return [] }
        let columns = SQLColumns(first.map(\.columnName))
        return try result.rows.map { row in SQLRow(columns: columns, values: try row.map(Self.value)) }
    }

    func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "s\(savepointDepth)"
        try command("SAVEPOINT \(name)")
        let value: T
        do {
            value = try body()
        } catch {
            // Undo the body's writes and leave the transaction usable; the body's error is the one that matters.
            try? command("ROLLBACK TO SAVEPOINT \(name)")
            try? command("RELEASE SAVEPOINT \(name)")
            throw error
        }
        try command("RELEASE SAVEPOINT \(name)")
        return value
    }

    var isShared: Bool { true }

    func tableNames() throws -> [String] {
        try rows("""
            SELECT table_name FROM information_schema.tables
            WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name != 'schemamigration' ORDER BY table_name
            """, []).map { $0[0] }
    }

    // MARK: Transactions (the engine's part)

    /// Runs `body` between `begin` and COMMIT (or ROLLBACK when `commits` is false); ROLLBACK when it throws.
    func transaction<T>(_ begin: String, commits: Bool, reconnect: () throws -> PostgresConnection, _ body: (any SQLConnection) throws -> T) throws -> T {
        savepointDepth = 0
        if connection.isClosed {
            try connectAgain(reconnect, because: "closed")
            try command(begin)
        } else {
            do {
                try beginWithin(begin, seconds: 30)
            } catch {
                // A connection the server dropped (a restart) may fail only at its next statement; BEGIN changed
                // nothing, so it is safe to connect again once and start over.
                try connectAgain(reconnect, because: postgresFailureReason(error))
                try command(begin)
            }
        }
        let value: T
        do {
            value = try body(self)
        } catch {
            try? command("ROLLBACK")
            throw error
        }
        guard commits else {
            try command("ROLLBACK")
            return value
        }
        // COMMIT of a transaction a failed statement aborted answers ROLLBACK without an error: that is a failure too.
        let tag = try run("COMMIT", [], translating: false).metadata.command
        guard tag == "COMMIT" else { throw PostgresTransactionRolledBack() }
        return value
    }

    func close() {
        try? connection.close().wait()
    }

    /// BEGIN waits a bounded time: postgres-nio 1.33 was seen to never answer a query sent on a connection the
    /// server had just terminated, and a hang there would stop every write.
    private func beginWithin(_ begin: String, seconds: Int) throws {
        let done = DispatchSemaphore(value: 0)
        let outcome = PostgresLocked<Result<PostgresQueryResult, any Error>?>(nil)
        connection.query(PostgresQuery(unsafeSQL: begin), logger: logger).whenComplete { result in
            outcome.update { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + .seconds(seconds)) == .success else { throw PostgresNoAnswer() }
        _ = try outcome.value?.get()
    }

    private func connectAgain(_ reconnect: () throws -> PostgresConnection, because reason: String) throws {
        logger.warning("PostgreSQL connection lost; connecting again", metadata: ["reason": "\(reason)"])
        try? connection.close().wait()
        connection = try reconnect()
    }

    /// An engine nobody closed (a test's school going away) still hangs up; a closed connection ignores this.
    deinit {
        // The closure keeps the connection until it has closed: postgres-nio insists on a connection closing first.
        let connection = connection
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    // MARK: Statements

    private func command(_ sql: String) throws {
        _ = try run(sql, [], translating: false)
    }

    private func run(_ sql: String, _ arguments: [SQLValue], translating: Bool = true) throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments { Self.bind(argument, to: &bindings) }
        let query = PostgresQuery(unsafeSQL: translating ? statements.numbered(sql) : sql, binds: bindings)
        do {
            return try connection.query(query, logger: logger).wait()
        } catch let error as PSQLError {
            if let constraint = Self.constraintError(error) { throw constraint }
            if let conflict = Self.conflict(error) { throw conflict }
            throw error
        }
    }

    // MARK: Values

    private static func bind(_ value: SQLValue, to bindings: inout PostgresBindings) {
        switch value {
        case .null: bindings.appendNull()
        case .integer(let value): bindings.append(value)
        case .real(let value): bindings.append(value)
        case .text(let text): bindings.append(text)
        case .bool(let value): bindings.append(value)
        case .date(let date): bindings.append(date)
        case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
        }
    }

    /// A cell as a value, by its column's type; rows arrive in the binary format.
    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard var bytes = cell.bytes else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .oid: return bytes.readInteger(as: UInt32.self).map { .integer(Int64($0)) } ?? .null
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric: return .real(NSDecimalNumber(decimal: try cell.decode(Decimal.self)).doubleValue)
        case .bool: return .bool(try cell.decode(Bool.self))
        case .timestamptz, .timestamp, .date: return .date(try cell.decode(Date.self))
        case .bytea: return .blob(Data(bytes.readableBytesView))
        default:
            // text, varchar, name, bpchar, and whatever else as its text (uuid, json); never fails on an odd type.
            if let text = try? cell.decode(String.self) { return .text(text) }
            return .text(bytes.readString(length: bytes.readableBytes) ?? "")
        }
    }

    // MARK: Errors

    /// A unique violation (SQLSTATE 23505) in the contract's words; nil for any other error. The server's detail
    /// names the key's columns and values ("Key (slotid)=(5) already exists."): only the columns are kept.
    static func constraintError(_ error: PSQLError) -> SQLConstraintError? {
        guard let info = error.serverInfo, info[.sqlState] == "23505" else { return nil }
        return .unique(table: info[.tableName], columns: keyColumns(info[.detail] ?? ""), message: info[.message] ?? "unique violation")
    }

    /// A deadlock's victim (40P01) or a serialisation failure (40001): worth running again.
    static func conflict(_ error: PSQLError) -> SQLTransactionConflict? {
        guard let info = error.serverInfo, let state = info[.sqlState], state == "40P01" || state == "40001" else { return nil }
        return SQLTransactionConflict(message: info[.message] ?? "conflict with another transaction")
    }

    static func keyColumns(_ detail: String) -> [String] {
        guard let start = detail.range(of: "Key ("), let end = detail.range(of: ")=(", range: start.upperBound..<detail.endIndex) else { return [] }
        return detail[start.upperBound..<end.lowerBound].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        }
    }
}

/// The server did not answer BEGIN in time.
struct PostgresNoAnswer: Error {}

/// COMMIT found the transaction already aborted (a failed statement outside a savepoint), so nothing was written.
public struct PostgresTransactionRolledBack: Error, CustomStringConvertible {
    public var description: String { "the transaction was rolled back: a statement in it failed" }
}
