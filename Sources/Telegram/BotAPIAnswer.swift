/// Reads whether a Bot API answer says `"ok":true` without decoding it: for the methods whose result is not used
/// (answering a button, editing a message), which are two of the three requests of every button press. Anything
/// unexpected reads as not ok, and the caller then decodes the answer the ordinary way for its error.
enum BotAPIAnswer {
    static func isOK(_ bytes: [UInt8]) -> Bool {
        var reader = Reader(bytes: bytes)
        var isOK = false
        do {
            try reader.expect(UInt8(ascii: "{"))
            if try !reader.consume(UInt8(ascii: "}")) {
                repeat {
                    let key = try reader.string()
                    try reader.expect(UInt8(ascii: ":"))
                    reader.skipSpace()
                    let start = reader.index
                    try reader.skipValue()
                    if key.elementsEqual("ok".utf8) { isOK = bytes[start..<reader.index].elementsEqual("true".utf8) }
                } while try reader.consume(UInt8(ascii: ","))
                try reader.expect(UInt8(ascii: "}"))
            }
            return isOK && reader.atEnd
        } catch {
            return false
        }
    }

    struct Malformed: Error {}

    /// Walks JSON text value by value, without building anything.
    struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool {
            mutating get {
                skipSpace()
                return index == bytes.count
            }
        }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        /// Consumes `byte` (after any white space) if it is next.
        mutating func consume(_ byte: UInt8) throws -> Bool {
            skipSpace()
            guard index < bytes.count else { throw Malformed() }
            guard bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func expect(_ byte: UInt8) throws {
            guard try consume(byte) else { throw Malformed() }
        }

        /// A string's raw bytes between its quotes (escapes left as they are: keys compared need none).
        mutating func string() throws -> ArraySlice<UInt8> {
            try expect(UInt8(ascii: "\""))
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index += 1
                    return bytes[start..<(index - 1)]
                case UInt8(ascii: "\\"): index += 2
                default: index += 1
                }
            }
            throw Malformed()
        }

        /// Skips one value: a string, an object or array with everything in it, or a number or literal.
        mutating func skipValue() throws {
            skipSpace()
            guard index < bytes.count else { throw Malformed() }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                _ = try string()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: "\""):
                        _ = try string()
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            index += 1
                            return
                        }
                    default: break
                    }
                    index += 1
                }
                throw Malformed()
            default:
                let start = index
                while index < bytes.count, !",}] \n\r\t".utf8.contains(bytes[index]) { index += 1 }
                guard index > start else { throw Malformed() }
            }
        }
    }
}
