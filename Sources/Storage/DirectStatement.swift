import Foundation
import GRDB
import GRDBSQLite

/// Runs one of GRDB's prepared statements on SQLite's own interface: binds `SQLValue`s, steps, reads each row as
/// `SQLValue`s, without GRDB's arguments, cursor, `Row` and `DatabaseValue`s in between. A conversation step runs about
/// fifteen statements on the one writer; under load this saved about 6 % of the daemon's CPU per step (the same build
/// with and without it, back to back). Only for the statements `GRDBConnection` lets through.
enum DirectStatement {
    /// SQLite copies a bound text or blob.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Binds `arguments`, steps to the end and hands over every row; resets the statement whatever happens.
    static func run(_ statement: Statement, _ arguments: [SQLValue], in db: Database, row: ([SQLValue]) throws -> Void) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        guard Int(sqlite3_bind_parameter_count(handle)) == arguments.count else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "wrong number of statement arguments: \(arguments.count)", sql: statement.sql)
        }
        for (offset, value) in arguments.enumerated() {
            let code = bind(value, at: Int32(offset + 1), of: handle)
            guard code == SQLITE_OK else { throw error(code, statement, db) }
        }
        let count = sqlite3_column_count(handle)
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW: try row((0..<count).map { value(at: $0, of: handle) })
            case SQLITE_DONE: return
            case let code: throw error(code, statement, db)
            }
        }
    }

    /// SELECT, INSERT, UPDATE, DELETE, or WITH one of them: nothing GRDB must know about. Asked at every statement,
    /// so it reads the first word's bytes (case-insensitively) and builds nothing.
    static func changesRowsOnly(_ sql: String) -> Bool {
        var word: UInt64 = 0  // the first word's letters, upper-cased, one byte each: at most 8
        var length = 0
        for byte in sql.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                if length == 0 { continue }
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                guard length < 8 else { return false }
                word = word << 8 | UInt64(byte & 0xDF)
                length += 1
                continue
            default: break
            }
            break
        }
        return rowKeywords.contains(word)
    }

    private static let rowKeywords: Set<UInt64> = Set(["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].map { keyword in
        keyword.utf8.reduce(0) { $0 << 8 | UInt64($1) }
    })

    private static func bind(_ value: SQLValue, at index: Int32, of handle: OpaquePointer) -> Int32 {
        switch value {
        case .null: sqlite3_bind_null(handle, index)
        case .integer(let integer): sqlite3_bind_int64(handle, index, integer)
        case .real(let real): sqlite3_bind_double(handle, index, real)
        case .bool(let bool): sqlite3_bind_int64(handle, index, bool ? 1 : 0)
        case .text(let text): sqlite3_bind_text(handle, index, text, -1, transient)
        // GRDB's own text for a date, so new rows compare and sort with the rows it wrote before.
        case .date(let date): sqlite3_bind_text(handle, index, SQLDateText.text(date), -1, transient)
        case .blob(let data): data.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) }
        }
    }

    private static func value(at column: Int32, of handle: OpaquePointer) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT: .text(String(cString: sqlite3_column_text(handle, column)))
        case SQLITE_BLOB:
            if let bytes = sqlite3_column_blob(handle, column) { .blob(Data(bytes: bytes, count: Int(sqlite3_column_bytes(handle, column)))) } else { .blob(Data()) }
        default: .null
        }
    }

    /// The error as GRDB would have thrown it, so `translatingConstraints` reads it the same way.
    private static func error(_ code: Int32, _ statement: Statement, _ db: Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
    }
}
