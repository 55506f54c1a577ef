import Crypto
import Foundation
import Logging
import PostgresNIO
import Storage

/// Copies a school's SQLite database into its PostgreSQL schema and proves the copy: every table in one PostgreSQL
/// transaction (nothing half-copied stays behind), from one consistent SQLite snapshot (the daemon may keep running
/// while it is read), then every table read back and compared with the snapshot by row count and checksum.
public enum SQLiteToPostgres {
    /// One table's outcome: its rows and the checksum both sides agree on.
    public struct Table: Sendable, Equatable {
        public let name: String
        public let rows: Int
        public let checksum: String
    }

    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The schema is created (`PostgresSchema.migrate`) when needed and must hold no rows yet: a copy never mixes with
    /// data already there.
    public static func copy(from database: AppDatabase, to location: PostgresLocation, logger: Logger) async throws -> [Table] {
        try await PostgresSchema.migrate(location, logger: logger)
        let tables = try await database.read { try $0.storedTables() }
        let connection = try await PostgresConnection.connect(configuration: try location.configuration, id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \(location.schema)"), logger: logger)
            let types = try await columnTypes(connection, schema: location.schema, logger: logger)
            try await connection.query("BEGIN", logger: logger)
            for table in tables {
                guard try await count(table.name, connection, logger) == 0 else {
                    throw Refusal(description: "\(location) already holds rows in \(table.name); copy only into an empty schema")
                }
                try await insert(table, types: types[table.name.lowercased()] ?? [:], connection, logger)
            }
            try await connection.query("COMMIT", logger: logger)
            var copied: [Table] = []
            for table in tables {
                let expected = Table(name: table.name, rows: table.rows.count, checksum: checksum(table.columns, table.rows))
                let found = try await readBack(table, types: types[table.name.lowercased()] ?? [:], connection, logger)
                guard found == expected else {
                    throw Refusal(description: "\(table.name) differs after the copy: \(expected.rows) rows in SQLite, \(found.rows) in PostgreSQL, or their checksums")
                }
                copied.append(found)
            }
            try await connection.close()
            logger.info("SQLite copied to PostgreSQL", metadata: ["tables": "\(copied.count)", "rows": "\(copied.map(\.rows).reduce(0, +))"])
            return copied
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            try? await connection.close()
            throw error
        }
    }

    /// SHA-256 of the rows' canonical texts, sorted, so the order rows come back in does not matter.
    static func checksum(_ columns: [String], _ rows: [[SQLValue]]) -> String {
        let lines = rows.map { row in zip(columns, row).map { "\($0.lowercased())=\($1.canonical)" }.joined(separator: "|") }.sorted()
        var hash = SHA256()
        for line in lines { hash.update(data: Data((line + "\n").utf8)) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Each table's columns and their PostgreSQL types, lower case.
    static func columnTypes(_ connection: PostgresConnection, schema: String, logger: Logger) async throws -> [String: [String: String]] {
        var types: [String: [String: String]] = [:]
        let rows = try await connection.query("""
            SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = \(schema)
            """, logger: logger)
        for try await (table, column, type) in rows.decode((String, String, String).self) { types[table, default: [:]][column] = type }
        return types
    }

    static func count(_ table: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        for try await count in try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger).decode(Int.self) {
            return count
        }
        return 0
    }

    static func insert(_ table: StoredTable, types: [String: String], _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard !table.rows.isEmpty else { return }
        let placeholders = table.columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let sql = "INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(placeholders))"
        for row in table.rows {
            var bindings = PostgresBindings(capacity: row.count)
            for (column, value) in zip(table.columns, row) { try bind(value, as: types[column.lowercased()] ?? "text", into: &bindings) }
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        }
        // Identity columns go on after the highest id copied, not from 1.
        if types["id"]?.hasPrefix("bigint") == true {
            try await connection.query(PostgresQuery(unsafeSQL: """
                SELECT setval(pg_get_serial_sequence('\(table.name.lowercased())', 'id'), max(id)) FROM \(table.name) HAVING max(id) IS NOT NULL
                  AND pg_get_serial_sequence('\(table.name.lowercased())', 'id') IS NOT NULL
                """), logger: logger)
        }
    }

    static func bind(_ value: SQLValue, as type: String, into bindings: inout PostgresBindings) throws {
        switch (value, type) {
        case (.null, _): bindings.appendNull()
        case (.integer(let integer), "boolean"): bindings.append(integer != 0)
        case (.integer(let integer), _): bindings.append(integer)
        case (.real(let real), _): bindings.append(real)
        case (.text(let text), _): bindings.append(text)
        case (.bool(let flag), _): bindings.append(flag)
        case (.date(let date), _): bindings.append(date)
        case (.blob(let bytes), _): bindings.append(ByteBuffer(bytes: bytes))
        }
    }

    /// The copied table as PostgreSQL has it, in the same canonical values as the SQLite snapshot's.
    static func readBack(_ table: StoredTable, types: [String: String], _ connection: PostgresConnection, _ logger: Logger) async throws -> Table {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name)"), logger: logger)
        var values: [[SQLValue]] = []
        for try await row in rows {
            var decoded: [SQLValue] = []
            for (cell, column) in zip(row, table.columns) {
                guard cell.bytes != nil else {
                    decoded.append(.null)
                    continue
                }
                switch types[column.lowercased()] ?? "text" {
                case "bigint", "integer": decoded.append(.integer(try cell.decode(Int64.self)))
                case "boolean": decoded.append(.bool(try cell.decode(Bool.self)))
                case "timestamp with time zone": decoded.append(.date(try cell.decode(Date.self)))
                case "double precision": decoded.append(.real(try cell.decode(Double.self)))
                case "bytea": decoded.append(.blob(Data(try cell.decode(ByteBuffer.self).readableBytesView)))
                default: decoded.append(.text(try cell.decode(String.self)))
                }
            }
            values.append(decoded)
        }
        return Table(name: table.name, rows: values.count, checksum: checksum(table.columns, values))
    }
}
