/// How many SMS segments a text costs. A text of only GSM-7 characters (the GSM 03.38 alphabet: Latin letters, digits,
/// common punctuation, a few accented letters such as é, ë is not) travels 7 bits a character: 160 in one SMS, 153 per
/// segment when concatenated (the rest carries the header), and the extension table's characters (€ [ ] { } \ ^ ~ |
/// and form feed) cost two. Any other character (ë, ş, Arabic, an emoji) makes the whole text UCS-2: 70 UTF-16 units in
/// one SMS, 67 per segment, an emoji two units. A character is never split across segments.
public struct SMSSegments: Equatable, Sendable, CustomStringConvertible {
    public enum Encoding: String, Sendable {
        case gsm7 = "GSM-7"
        case ucs2 = "UCS-2"
    }

    public var encoding: Encoding
    /// Septets (GSM-7) or UTF-16 units (UCS-2) the text takes.
    public var units: Int
    /// Segments (SMS messages) it is sent as, and billed for; 1 for an empty text.
    public var count: Int

    public var description: String { "\(count) × \(encoding.rawValue) (\(units) units)" }

    public static let singleGSM7 = 160
    public static let concatenatedGSM7 = 153
    public static let singleUCS2 = 70
    public static let concatenatedUCS2 = 67

    /// The GSM 03.38 basic character set (the escape code itself excluded).
    static let basic: Set<Unicode.Scalar> = Set((
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà").unicodeScalars)
    /// The extension table: each costs an escape and itself.
    static let extended: Set<Unicode.Scalar> = Set("\u{0C}^{}\\[~]|€".unicodeScalars)

    public init(_ text: String) {
        let scalars = text.unicodeScalars
        let costs: [Int]
        if scalars.allSatisfy({ Self.basic.contains($0) || Self.extended.contains($0) }) {
            encoding = .gsm7
            costs = scalars.map { Self.extended.contains($0) ? 2 : 1 }
        } else {
            encoding = .ucs2
            costs = scalars.map { $0.utf16.count }
        }
        units = costs.reduce(0, +)
        let (single, concatenated) = encoding == .gsm7 ? (Self.singleGSM7, Self.concatenatedGSM7) : (Self.singleUCS2, Self.concatenatedUCS2)
        guard units > single else {
            count = 1
            return
        }
        var segments = 1
        var used = 0
        for cost in costs {
            if used + cost > concatenated {
                segments += 1
                used = 0
            }
            used += cost
        }
        count = segments
    }
}
