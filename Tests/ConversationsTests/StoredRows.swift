import Foundation
import GRDB

/// Every row of every table of a SQLite file, read through its own connection: to prove that nothing of a household
/// remains anywhere, or that a command changed nothing at all.
struct StoredRows {
    /// Table → its rows, each as "column=value" pairs.
    let tables: [String: [[String: DatabaseValue]]]

    init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        tables = try queue.read { db in
            var tables: [String: [[String: DatabaseValue]]] = [:]
            for table in try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'
                """) {
                tables[table] = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { row in
                    Dictionary(row.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
                }
            }
            return tables
        }
        try queue.close()
    }

    /// The rows that still refer to the household (by id, or to one of its children) or hold one of `texts` (its key,
    /// invite code, guardians' names and numbers, chat addresses), as "table: row" lines; empty when nothing remains.
    func mentioning(household: Int64, children: Set<String>, texts: [String]) -> [String] {
        var found: [String] = []
        for (table, rows) in tables.sorted(by: { $0.key < $1.key }) {
            for row in rows {
                let mentions = row.contains { column, value in
                    switch column {
                    case "householdID", "parentID", "buddyID", "fromHouseholdID": return Int64.fromDatabaseValue(value) == household
                    case "id" where table == "household": return Int64.fromDatabaseValue(value) == household
                    case "childID": return String.fromDatabaseValue(value).map(children.contains) ?? false
                    case "id" where table == "child": return String.fromDatabaseValue(value).map(children.contains) ?? false
                    default: return String.fromDatabaseValue(value).map { text in texts.contains { text.contains($0) } } ?? false
                    }
                }
                if mentions { found.append("\(table): \(row)") }
            }
        }
        return found
    }
}
