import Foundation
import SamenspraakCore

/// Any JSON value, for the parts of Matrix's end-to-end encryption whose shape is open (decrypted payloads, device keys)
/// and for signing: `canonical` is Matrix's canonical JSON (https://spec.matrix.org/v1.11/appendices/#canonical-json):
/// keys sorted by code point, no insignificant whitespace, UTF-8 rather than \u escapes except for control characters.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Reads JSON text.
    public static func parse(_ text: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

    /// Any Encodable value as a JSONValue.
    static func of(_ value: some Encodable) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)) }

    public subscript(key: String) -> JSONValue? {
        get { if case .object(let members) = self { members[key] } else { nil } }
        set {
            guard case .object(var members) = self else { return }
            members[key] = newValue
            self = .object(members)
        }
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var int: Int64? { if case .int(let value) = self { value } else { nil } }
    public var object: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }

    /// Matrix's canonical JSON text.
    public var canonical: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        // Canonical JSON has only integers; a fraction is written as Foundation would, for the payloads that are not signed.
        case .double(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .string(let value): return value.jsonQuoted
        case .array(let values): return "[" + values.map(\.canonical).joined(separator: ",") + "]"
        case .object(let members):
            // Sorted by Unicode code point, which for UTF-8 strings is the order of their bytes.
            let sorted = members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            return "{" + sorted.map { $0.key.jsonQuoted + ":" + $0.value.canonical }.joined(separator: ",") + "}"
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByDictionaryLiteral, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
    ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(Dictionary(elements, uniquingKeysWith: { $1 })) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension OlmAccount {
    /// Signs a JSON object as Matrix does: the canonical JSON without `signatures` and `unsigned`, the signature added
    /// under `signatures[user]["ed25519:DEVICE"]`.
    func signJSON(_ object: JSONValue, userID: String, deviceID: String) throws -> JSONValue {
        var signed = object
        var bare = object
        bare["signatures"] = nil
        bare["unsigned"] = nil
        let signature = try sign(bare.canonical)
        var signatures = object["signatures"]?.object ?? [:]
        var mine = signatures[userID]?.object ?? [:]
        mine["ed25519:\(deviceID)"] = .string(signature)
        signatures[userID] = .object(mine)
        signed["signatures"] = .object(signatures)
        return signed
    }
}
