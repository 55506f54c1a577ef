import Foundation
import Logging
import PostgresNIO
import Storage

/// One server connection as the storage contract's `SQLConnection`. Each statement waits for postgres-nio's future,
/// so it runs only on a thread that may block (the engine's queues or the command line's own thread), and one
/// transaction at a time: the engine hands it out under a lock.
final class PostgresSQLConnection: SQLConnection, @unchecked Sendable {
    private(set) var connection: PostgresConnection
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
        do {
            try command(begin)
        } catch {
            // A connection the server dropped (a restart) fails at its first statement; BEGIN changes nothing, so
            // it is safe to connect again once and start over.
            logger.warning("PostgreSQL connection lost; connecting again", metadata: ["reason": "\(postgresFailureReason(error))"])
            try? connection.close().wait()
            connection = try reconnect()
            try command(begin)
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
            throw Self.constraintError(error) ?? error
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

    static func keyColumns(_ detail: String) -> [String] {
        guard let start = detail.range(of: "Key ("), let end = detail.range(of: ")=(", range: start.upperBound..<detail.endIndex) else { return [] }
        return detail[start.upperBound..<end.lowerBound].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        }
    }
}

/// COMMIT found the transaction already aborted (a failed statement outside a savepoint), so nothing was written.
public struct PostgresTransactionRolledBack: Error, CustomStringConvertible {
    public var description: String { "the transaction was rolled back: a statement in it failed" }
}
