import Foundation
import GRDB

/// A stored value as another database must receive it: SQLite keeps dates as text and booleans as integers, so the
/// column's declared type says which it is.
public enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bool(Bool)
    case date(Date)
    case blob([UInt8])

    /// One value's canonical text for the checksums: the same on both databases for the same value (dates to the
    /// millisecond, which is what SQLite keeps).
    public var canonical: String {
        switch self {
        case .null: "n"
        case .integer(let value): "i\(value)"
        case .real(let value): "r\(value)"
        case .text(let text): "t\(text.utf8.count):\(text)"
        case .bool(let value): value ? "b1" : "b0"
        case .date(let date): "d\(Int64((date.timeIntervalSince1970 * 1000).rounded()))"
        case .blob(let bytes): "x" + bytes.map { String(format: "%02x", $0) }.joined()
        }
    }
}

/// One table of the database, whole: for copying the school to another database and proving the copy.
public struct StoredTable: Sendable {
    public let name: String
    public let columns: [String]
    public let rows: [[StoredValue]]
}

extension Transaction {
    /// Every table with its rows, those a table refers to (foreign keys) before it, so they can be inserted in order.
    public func storedTables() throws -> [StoredTable] {
        let names = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name
            """)
        var references: [String: Set<String>] = [:]
        for name in names {
            references[name] = Set(try String.fetchAll(db, sql: "SELECT \"table\" FROM pragma_foreign_key_list(?)", arguments: [name])).subtracting([name])
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
        let declared = try Row.fetchAll(db, sql: "SELECT name, type FROM pragma_table_info(?) ORDER BY cid", arguments: [name])
            .map { (name: $0["name"] as String, type: ($0["type"] as String).uppercased()) }
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(name.quotedDatabaseIdentifier)").map { row in
            declared.indices.map { index -> StoredValue in
                let value: DatabaseValue = row[index]
                if value.isNull { return .null }
                switch (declared[index].type, value.storage) {
                case ("DATETIME", _): return Date.fromDatabaseValue(value).map(StoredValue.date) ?? .null
                case ("BOOLEAN", _): return .bool(Bool.fromDatabaseValue(value) ?? false)
                case (_, .int64(let integer)): return .integer(integer)
                case (_, .double(let real)): return .real(real)
                case (_, .string(let text)): return .text(text)
                case (_, .blob(let data)): return .blob(Array(data))
                case (_, .null): return .null
                }
            }
        }
        return StoredTable(name: name, columns: declared.map(\.name), rows: rows)
    }
}
