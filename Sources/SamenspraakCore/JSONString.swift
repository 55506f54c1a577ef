import Foundation

extension String {
    /// The string as a JSON string, quotes included, with the shortest escape for each character that needs one
    /// (what Matrix's canonical JSON asks for, and what any JSON reader takes back).
    public var jsonQuoted: String {
        var out = ""
        out.appendJSONQuoted(self)
        return out
    }

    /// Appends `text` as a JSON string (`jsonQuoted`), without building it apart first: a stored session or message
    /// is written at every step, one quoted string after another.
    public mutating func appendJSONQuoted(_ text: String) {
        append("\"")
        // Most texts need no escaping at all: appended whole.
        if text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": append("\\\"")
                case "\\": append("\\\\")
                case "\u{08}": append("\\b")
                case "\u{0C}": append("\\f")
                case "\n": append("\\n")
                case "\r": append("\\r")
                case "\t": append("\\t")
                case _ where scalar.value < 0x20: append(String(format: "\\u%04x", scalar.value))
                default: unicodeScalars.append(scalar)
                }
            }
        } else {
            append(text)
        }
        append("\"")
    }
}
