import Foundation

/// The storage contract: what `Transaction` needs of a database, so the same queries run on SQLite (GRDB) and on
/// PostgreSQL (postgres-nio). Statements are written in the SQL both share, with `?` for each argument; an engine
/// that numbers its parameters (`$1`) translates them.
public protocol SQLConnection: AnyObject {
    /// Runs a statement; returns how many rows it inserted, changed or deleted.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int

    /// Runs a query (or a statement with `RETURNING`) and returns all its rows.
    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]

    /// Runs `body` in a savepoint: when it throws, its writes are undone and the error is rethrown, and the enclosing
    /// transaction goes on (PostgreSQL aborts the whole transaction at a failed statement unless it is in one).
    func savepoint<T>(_ body: () throws -> T) throws -> T

    /// The application's tables, by name, without the engine's own bookkeeping (GRDB's migrations, `schemaMigration`).
    func tableNames() throws -> [String]

    /// Whether other daemons may write the same database at the same time (PostgreSQL): then rows are claimed with
    /// row locks (`FOR UPDATE`), which SQLite has no need of, and no syntax for, with its one writer.
    var isShared: Bool { get }
}

extension SQLConnection {
    /// Inserts `rows` into `table`, as many per statement as `maximumArguments` allows (PostgreSQL takes 65,535
    /// arguments to a statement, SQLite 32,766): a copy of a school's year of messages takes seconds, not minutes.
    public func insert(into table: String, columns: [String], rows: [[SQLValue]], maximumArguments: Int) throws {
        let rowsPerStatement = max(1, min(1_000, maximumArguments / max(1, columns.count)))
        let row = "(" + columns.map { _ in "?" }.joined(separator: ", ") + ")"
        var start = 0
        while start < rows.count {
            let batch = rows[start..<min(start + rowsPerStatement, rows.count)]
            try execute("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + Array(repeating: row, count: batch.count).joined(separator: ", "),
                        batch.flatMap { $0 })
            start += batch.count
        }
    }
}

/// A value as it goes into or comes out of either database. SQLite returns dates as text and booleans as integers;
/// the reading side (`SQLColumnValue`) accepts both.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case bool(Bool)
    case date(Date)

    /// One value's canonical text for the copy checksums: the same on both databases for the same value (dates to the
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

/// Refusals that code acts on, in the same words from both engines.
public enum SQLConstraintError: Error, CustomStringConvertible {
    /// A unique index refused a row; `columns` are the index's columns, lower-cased (PostgreSQL folds them).
    case unique(table: String?, columns: [String], message: String)

    public var description: String {
        switch self {
        case .unique(_, _, let message): message
        }
    }
}

// MARK: - Values in and out

/// A Swift value that can be an argument.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

/// A Swift value a column can be read as; nil when the stored value is not one (a text where a number belongs).
public protocol SQLColumnValue: SQLBindable {
    init?(sqlValue: SQLValue)
}

extension SQLValue: SQLColumnValue {
    public var sqlValue: SQLValue { self }
    public init?(sqlValue: SQLValue) { self = sqlValue }
}

extension Int64: SQLColumnValue {
    public var sqlValue: SQLValue { .integer(self) }
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .integer(let value): self = value
        case .bool(let value): self = value ? 1 : 0
        case .real(let value): self.init(exactly: value)
        case .text(let text): self.init(text)
        default: return nil
        }
    }
}

extension Int: SQLColumnValue {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public init?(sqlValue: SQLValue) {
        guard let value = Int64(sqlValue: sqlValue) else { return nil }
        self.init(value)
    }
}

extension Double: SQLColumnValue {
    public var sqlValue: SQLValue { .real(self) }
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .real(let value): self = value
        case .integer(let value): self.init(value)
        case .text(let text): self.init(text)
        default: return nil
        }
    }
}

extension Bool: SQLColumnValue {
    public var sqlValue: SQLValue { .bool(self) }
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .bool(let value): self = value
        case .integer(let value): self = value != 0
        case .real(let value): self = value != 0
        default: return nil
        }
    }
}

extension String: SQLColumnValue {
    public var sqlValue: SQLValue { .text(self) }
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .text(let text): self = text
        case .integer(let value): self = String(value)
        case .real(let value): self = String(value)
        case .blob(let data): self.init(data: data, encoding: .utf8)
        default: return nil
        }
    }
}

extension Data: SQLColumnValue {
    public var sqlValue: SQLValue { .blob(self) }
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .blob(let data): self = data
        case .text(let text): self = Data(text.utf8)
        default: return nil
        }
    }
}

extension Date: SQLColumnValue {
    public var sqlValue: SQLValue { .date(self) }
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .date(let date): self = date
        case .text(let text): guard let date = SQLDateText.date(text) else { return nil }; self = date
        case .integer(let seconds): self.init(timeIntervalSince1970: TimeInterval(seconds))
        case .real(let seconds): self.init(timeIntervalSince1970: seconds)
        default: return nil
        }
    }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension Optional: SQLColumnValue where Wrapped: SQLColumnValue {
    public init?(sqlValue: SQLValue) {
        if case .null = sqlValue { self = .none; return }
        guard let value = Wrapped(sqlValue: sqlValue) else { return nil }
        self = .some(value)
    }
}

/// How SQLite keeps a date: UTC text to the millisecond, "2026-09-01 08:30:00.000", which sorts like the moment
/// itself (GRDB writes it; this reads it back without a date formatter, on every row).
public enum SQLDateText {
    /// Reads "YYYY-MM-DD HH:MM[:SS[.SSS]]" (also with a "T"), UTC, and "YYYY-MM-DD" (midnight UTC), as GRDB did.
    public static func date(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for index in range {
                let digit = bytes[index] &- 48
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == 45, bytes[7] == 45, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var seconds = days(fromCivil: year, month, day) * 86_400
        var fraction = 0.0
        if bytes.count > 10 {
            guard bytes.count >= 16, bytes[10] == 32 || bytes[10] == 84, bytes[13] == 58, let hour = number(11..<13), let minute = number(14..<16)
            else { return nil }
            seconds += hour * 3600 + minute * 60
            var index = 16
            if bytes.count > 16 {
                guard bytes[16] == 58, let second = number(17..<19) else { return nil }
                seconds += second
                index = 19
                if bytes.count > 19, bytes[19] == 46 {
                    var scale = 0.1
                    index = 20
                    while index < bytes.count, bytes[index] &- 48 < 10 {
                        fraction += Double(bytes[index] - 48) * scale
                        scale /= 10
                        index += 1
                    }
                }
            }
            if index < bytes.count, !(index == bytes.count - 1 && bytes[index] == 90) { return nil }   // a trailing "Z" is UTC too
        }
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    // Howard Hinnant's days-from-civil: exact for every Gregorian date, no calendar object needed.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

// MARK: - Rows

/// The column names of a result, shared by its rows; names are found without regard to case, since PostgreSQL
/// folds unquoted names to lower case.
public final class SQLColumns: Sendable {
    public let names: [String]
    private let indexes: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        var indexes: [String: Int] = [:]
        for (index, name) in names.enumerated() where indexes[name.lowercased()] == nil { indexes[name.lowercased()] = index }
        self.indexes = indexes
    }

    public func index(of name: String) -> Int? { indexes[name.lowercased()] }
}

/// One row of a result. Reading a column as a type it does not hold is a programming error (the query and the code
/// disagree) and stops the process with the column's name, as GRDB did.
public struct SQLRow: Sendable {
    public let columns: SQLColumns
    public let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript<T: SQLColumnValue>(_ index: Int) -> T {
        guard let value = T(sqlValue: values[index]) else {
            preconditionFailure("column \(columns.names[index]) holds \(values[index]), not \(T.self)")
        }
        return value
    }

    public subscript<T: SQLColumnValue>(_ name: String) -> T {
        guard let index = columns.index(of: name) else { preconditionFailure("no column \(name) in \(columns.names)") }
        return self[index]
    }

    /// The value of a column, or nil when the result has no such column.
    public func value(named name: String) -> SQLValue? { columns.index(of: name).map { values[$0] } }

    /// Some of the columns as a row of their own: a join's columns for each of the records it joins.
    public func columns(_ range: Range<Int>) -> SQLRow {
        SQLRow(columns: SQLColumns(Array(columns.names[range])), values: Array(values[range]))
    }
}

/// A record read from a row by hand (the rows read on every conversation step) or through `Decodable`.
public protocol SQLRowDecodable {
    init(row: SQLRow) throws
}
