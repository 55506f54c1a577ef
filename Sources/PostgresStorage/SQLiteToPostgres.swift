import Crypto
import Foundation
import Logging
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

    /// The schema is created (the engine migrates it) when needed and must hold no rows yet: a copy never mixes with
    /// data already there. Values go in and come back through the engine's own conversions, as the daemon's do.
    public static func copy(from database: AppDatabase, to location: PostgresLocation, logger: Logger) async throws -> [Table] {
        let tables = try await database.read { try $0.storedTables() }
        let engine = try await PostgresEngine.open(location, logger: logger, readers: 1)
        defer { try? engine.close() }
        try await engine.write { sql in
            for table in tables {
                guard try sql.rows("SELECT count(*) FROM \(table.name)", []).first.map({ $0[0] as Int64 }) == 0 else {
                    throw Refusal(description: "\(location) already holds rows in \(table.name); copy only into an empty schema")
                }
                try insert(table, sql)
            }
        }
        var copied: [Table] = []
        for table in tables {
            let expected = Table(name: table.name, rows: table.rows.count, checksum: checksum(table.columns, table.rows))
            let found = try await engine.read { sql in
                let rows = try sql.rows("SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name)", []).map(\.values)
                return Table(name: table.name, rows: rows.count, checksum: checksum(table.columns, rows))
            }
            guard found == expected else {
                throw Refusal(description: "\(table.name) differs after the copy: \(expected.rows) rows in SQLite, \(found.rows) in PostgreSQL, or their checksums")
            }
            copied.append(found)
        }
        logger.info("SQLite copied to PostgreSQL", metadata: ["tables": "\(copied.count)", "rows": "\(copied.map(\.rows).reduce(0, +))"])
        return copied
    }

    /// SHA-256 of the rows' canonical texts, sorted, so the order rows come back in does not matter.
    static func checksum(_ columns: [String], _ rows: [[SQLValue]]) -> String {
        let lines = rows.map { row in zip(columns, row).map { "\($0.lowercased())=\($1.canonical)" }.joined(separator: "|") }.sorted()
        var hash = SHA256()
        for line in lines { hash.update(data: Data((line + "\n").utf8)) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func insert(_ table: StoredTable, _ sql: any SQLConnection) throws {
        guard !table.rows.isEmpty else { return }
        try sql.insert(into: table.name, columns: table.columns, rows: table.rows, maximumArguments: 60_000)
        // Identity columns go on after the highest id copied, not from 1.
        let identity = try sql.rows("""
            SELECT 1 FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'id' AND is_identity = 'YES'
            """, [.text(table.name.lowercased())])
        if !identity.isEmpty {
            _ = try sql.rows("SELECT setval(pg_get_serial_sequence(?, 'id'), max(id)) FROM \(table.name) HAVING max(id) IS NOT NULL",
                             [.text(table.name.lowercased())])
        }
    }
}
