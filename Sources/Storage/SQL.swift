import Foundation
import Synchronization

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

/// The database gave up this statement to let another transaction go on (PostgreSQL's deadlock victim, or a
/// serialisation failure): nothing of it was written, and the same work run again succeeds. Only where several
/// transactions write at once (daemons sharing a PostgreSQL database); the group commit runs such a unit again.
public struct SQLTransactionConflict: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
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

    /// The text GRDB writes for `date` ("2026-09-01 08:30:00.000", UTC, to the nearest millisecond and a half one up,
    /// as its date formatter rounds), made without a date formatter: this runs for every date argument.
    public static func text(_ date: Date) -> String {
        // The same arithmetic as Foundation's formatter: seconds since 1970 from the reference date, then milliseconds.
        let milliseconds = ((date.timeIntervalSinceReferenceDate + 978_307_200) * 1000 + 0.5).rounded(.down)
        guard milliseconds.isFinite, let whole = Int64(exactly: milliseconds) else { return fallback.string(from: date) }
        let (days, millisecondOfDay) = whole.floorDivided(by: 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        guard (1...9999).contains(year) else { return fallback.string(from: date) }
        var bytes = [UInt8](repeating: 0, count: 23)
        func put(_ value: Int64, at start: Int, digits: Int) {
            var value = value
            for index in stride(from: start + digits - 1, through: start, by: -1) {
                bytes[index] = UInt8(48 + value % 10)
                value /= 10
            }
        }
        put(year, at: 0, digits: 4)
        put(month, at: 5, digits: 2)
        put(day, at: 8, digits: 2)
        put(millisecondOfDay / 3_600_000, at: 11, digits: 2)
        put(millisecondOfDay / 60_000 % 60, at: 14, digits: 2)
        put(millisecondOfDay / 1000 % 60, at: 17, digits: 2)
        put(millisecondOfDay % 1000, at: 20, digits: 3)
        (bytes[4], bytes[7], bytes[10], bytes[13], bytes[16], bytes[19]) = (45, 45, 32, 58, 58, 46)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// For the years the fast path does not write (before 1 or after 9999): GRDB's own formatter.
    private static let fallback: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        return formatter
    }()

    // Howard Hinnant's civil-from-days, the inverse of the one below.
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
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

extension Int64 {
    /// Quotient and remainder rounded towards minus infinity, so a moment before 1970 falls on the right day.
    fileprivate func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

// MARK: - Rows

/// The column names of a result, shared by its rows; names are found without regard to case, since PostgreSQL
/// folds unquoted names to lower case.
public final class SQLColumns: Sendable {
    public let names: [String]
    /// Each name as written and lower-cased: a name asked for as the query wrote it is found without lower-casing it.
    private let indexes: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        var indexes: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            if indexes[name] == nil { indexes[name] = index }
            if indexes[name.lowercased()] == nil { indexes[name.lowercased()] = index }
        }
        self.indexes = indexes
    }

    public func index(of name: String) -> Int? { indexes[name] ?? indexes[name.lowercased()] }
}

/// The columns of each statement, by its text: they are the same every time it runs (the schema changes only when
/// the database is opened), and making them anew was a good part of a small query's cost.
public final class SQLColumnsCache: Sendable {
    private let cached = Mutex<[String: SQLColumns]>([:])
    /// Statements with a list of arguments of varying length (`IN (?, ?, …)`) each have their own text; past this many
    /// texts the columns are made each time instead.
    private let capacity = 1_000

    public init() {}

    /// The cached columns of `sql` if it has `count` of them, else `names()` made into columns (and kept).
    public func columns(of sql: String, count: Int, names: () -> [String]) -> SQLColumns {
        if let columns = cached.withLock({ $0[sql] }), columns.names.count == count { return columns }
        let columns = SQLColumns(names())
        cached.withLock { if $0.count < capacity || $0[sql] != nil { $0[sql] = columns } }
        return columns
    }
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
