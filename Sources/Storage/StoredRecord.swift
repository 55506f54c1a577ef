import Foundation

/// A record kept as one row of its table, read and written through `Codable`: its properties are the columns.
public protocol StoredRecord: Codable, SQLRowDecodable {
    static var tableName: String { get }
    /// The columns of the primary key; `id` unless the table says otherwise.
    static var primaryKey: [String] { get }
}

/// A record whose `id` the database assigns on insert.
public protocol AutoIDRecord: StoredRecord {
    var id: Int64? { get set }
}

extension StoredRecord {
    public static var primaryKey: [String] { ["id"] }

    public init(row: SQLRow) throws { try self.init(from: RowDecoder(row: row)) }

    /// Every property as a column and its value, in declaration order; nil is NULL.
    var columnValues: [(column: String, value: SQLValue)] {
        get throws {
            let encoder = ColumnEncoder()
            try encode(to: encoder)
            return encoder.columns.values
        }
    }
}

public enum RecordCodingError: Error, CustomStringConvertible {
    case missingColumn(String)
    case wrongType(column: String, value: SQLValue, expected: String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .missingColumn(let column): "no column \(column) in the row"
        case .wrongType(let column, let value, let expected): "column \(column) holds \(value), not \(expected)"
        case .unsupported(let what): "a stored record cannot hold \(what)"
        }
    }
}

// MARK: - Reading

/// Decodes a flat record from a row: each key a column, each value a single column value.
private struct RowDecoder: Decoder {
    let row: SQLRow
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Columns(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw RecordCodingError.unsupported("a list") }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { throw RecordCodingError.unsupported("a single value") }

    struct Columns<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: SQLRow
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { row.columns.names.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { row.columns.index(of: key.stringValue) != nil }

        func decodeNil(forKey key: Key) throws -> Bool { try stored(key) == .null }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try column(type, key) }

        // The protocol asks for each primitive type by name; those the records use are column values.
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try column(type, key) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try column(type, key) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try column(type, key) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try column(type, key) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try column(type, key) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try column(type, key) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try column(type, key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try column(type, key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try column(type, key) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try column(type, key) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try column(type, key) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try column(type, key) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try column(type, key) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try column(type, key) }

        private func column<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
            guard let columnType = T.self as? any SQLColumnValue.Type else {
                throw RecordCodingError.unsupported("\(T.self) in \(key.stringValue)")
            }
            let value = try stored(key)
            guard let decoded = columnType.init(sqlValue: value) as? T else {
                throw RecordCodingError.wrongType(column: key.stringValue, value: value, expected: "\(T.self)")
            }
            return decoded
        }

        private func stored(_ key: Key) throws -> SQLValue {
            guard let value = row.value(named: key.stringValue) else { throw RecordCodingError.missingColumn(key.stringValue) }
            return value
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            throw RecordCodingError.unsupported("a nested value in \(key.stringValue)")
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw RecordCodingError.unsupported("a list in \(key.stringValue)")
        }

        func superDecoder() throws -> any Decoder { throw RecordCodingError.unsupported("a superclass") }
        func superDecoder(forKey key: Key) throws -> any Decoder { throw RecordCodingError.unsupported("a superclass") }
    }
}

// MARK: - Writing

/// Collects a flat record's properties as columns. `encodeIfPresent` is overridden so that nil is a NULL column
/// rather than a missing one: an update must clear what became nil.
private final class ColumnEncoder: Encoder {
    final class Columns {
        var values: [(column: String, value: SQLValue)] = []
    }

    let columns = Columns()
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Container(columns: columns))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { preconditionFailure("a stored record is flat") }
    func singleValueContainer() -> any SingleValueEncodingContainer { preconditionFailure("a stored record is flat") }

    struct Container<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let columns: Columns
        var codingPath: [any CodingKey] { [] }

        private func put(_ value: SQLValue, _ key: Key) { columns.values.append((key.stringValue, value)) }

        mutating func encodeNil(forKey key: Key) throws { put(.null, key) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: String, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: Double, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: Float, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { try column(value, key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { try column(value, key) }

        private func column<T: Encodable>(_ value: T, _ key: Key) throws {
            guard let bindable = value as? any SQLBindable else { throw RecordCodingError.unsupported("\(T.self) in \(key.stringValue)") }
            put(bindable.sqlValue, key)
        }

        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) } else { put(.null, key) }
        }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { put(value.sqlValue, key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { put(value.sqlValue, key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { put(value.sqlValue, key) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { put(value.sqlValue, key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { put(value.sqlValue, key) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            preconditionFailure("a stored record is flat")
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { preconditionFailure("a stored record is flat") }
        mutating func superEncoder() -> any Encoder { preconditionFailure("a stored record is flat") }
        mutating func superEncoder(forKey key: Key) -> any Encoder { preconditionFailure("a stored record is flat") }
    }
}
