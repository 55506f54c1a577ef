import Foundation
import Storage

/// Every row of every table, to prove that nothing of a household remains anywhere, or that a command changed nothing
/// at all: read through the school's own engine (SQLite or PostgreSQL), or from an SQLite file through its own
/// connection (an archive).
struct StoredRows {
    /// Table → its rows, each as column → value; names in lower case, as PostgreSQL gives them.
    let tables: [String: [[String: SQLValue]]]

    init(database: AppDatabase) throws {
        tables = Self.lowerCased(try database.readNow { try $0.everyRow() })
    }

    init(path: String) throws {
        let database = try AppDatabase.open(path: path)
        defer { try? database.close() }
        tables = Self.lowerCased(try database.readNow { try $0.everyRow() })
    }

    static func lowerCased(_ tables: [String: [[String: SQLValue]]]) -> [String: [[String: SQLValue]]] {
        Dictionary(uniqueKeysWithValues: tables.map { table, rows in
            (table.lowercased(), rows.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.lowercased(), $0.value) }) })
        })
    }

    /// The rows that still refer to the household (by id, or to one of its children) or hold one of `texts` (its key,
    /// invite code, guardians' names and numbers, chat addresses), as "table: row" lines; empty when nothing remains.
    func mentioning(household: Int64, children: Set<String>, texts: [String]) -> [String] {
        var found: [String] = []
        for (table, rows) in tables.sorted(by: { $0.key < $1.key }) {
            for row in rows {
                let mentions = row.contains { column, value in
                    switch (column, table) {
                    case ("householdid", _), ("parentid", _), ("buddyid", _), ("fromhouseholdid", _), ("id", "household"):
                        return Int64(sqlValue: value) == household
                    case ("childid", _), ("id", "child"): return String(sqlValue: value).map(children.contains) ?? false
                    default:
                        guard case .text(let text) = value else { return false }
                        return texts.contains { text.contains($0) }
                    }
                }
                if mentions { found.append("\(table): \(row)") }
            }
        }
        return found
    }
}
