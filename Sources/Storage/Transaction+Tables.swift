import Foundation

/// One table of the database, whole: for copying the school to another database and proving the copy.
public struct StoredTable: Sendable {
    public let name: String
    public let columns: [String]
    public let rows: [[SQLValue]]
}

extension Transaction {
    /// Every table with its rows, those a table refers to (foreign keys) before it, so they can be inserted in order.
    /// SQLite only (it reads SQLite's pragmas): the source of a copy to PostgreSQL.
    public func storedTables() throws -> [StoredTable] {
        let names = try sql.tableNames()
        var references: [String: Set<String>] = [:]
        for name in names {
            references[name] = Set(try values("SELECT \"table\" FROM pragma_foreign_key_list(?)", [name], as: String.self)).subtracting([name])
        }
        var ordered: [String] = []
        func visit(_ name: String) {
            guard !ordered.contains(name) else { return }
            for referenced in (references[name] ?? []).sorted() { visit(referenced) }
            ordered.append(name)
        }
        names.forEach(visit)
        return try ordered.map(storedTable)
    }

    func storedTable(_ name: String) throws -> StoredTable {
        let declared = try rows("SELECT name, type FROM pragma_table_info(?) ORDER BY cid", [name])
            .map { (name: $0["name"] as String, type: ($0["type"] as String).uppercased()) }
        // SQLite keeps dates as text and booleans as integers; the column's declared type says which they are.
        let rows = try rows("SELECT * FROM \(name)").map { row in
            declared.indices.map { index -> SQLValue in
                let value = row.values[index]
                guard value != .null else { return .null }
                switch declared[index].type {
                case "DATETIME": return Date(sqlValue: value).map(SQLValue.date) ?? .null
                case "BOOLEAN": return .bool(Bool(sqlValue: value) ?? false)
                default: return value
                }
            }
        }
        return StoredTable(name: name, columns: declared.map(\.name), rows: rows)
    }
}

extension Transaction {
    /// Every row of every table as column → value, on either engine: to prove what is stored, and what is not.
    public func everyRow() throws -> [String: [[String: SQLValue]]] {
        var tables: [String: [[String: SQLValue]]] = [:]
        for table in try sql.tableNames() {
            tables[table] = try rows("SELECT * FROM \(table)").map { row in
                Dictionary(zip(row.columns.names, row.values).map { $0 }, uniquingKeysWith: { first, _ in first })
            }
        }
        return tables
    }
}
