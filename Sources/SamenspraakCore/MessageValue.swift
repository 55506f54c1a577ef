import Foundation

/// A value a message can show: text as is, numbers (choosing plural forms), and moments formatted for the
/// reader's language. Dialogue variables are stored as these.
public enum MessageValue: Sendable, Equatable, Codable, Hashable {
    case text(String)
    case number(Int)
    /// A day, e.g. "dinsdag 1 december".
    case day(Date)
    /// A time of day, e.g. "15:25".
    case time(Date)
    /// A month (1 = January) by its name, e.g. "juni".
    case month(Int)
    /// Another message's text by key, rendered in the reader's language (e.g. a block kind's name).
    case message(String)

    /// The plain form, for ids and for matching.
    public var plain: String {
        switch self {
        case .text(let text), .message(let text): return text
        case .number(let number), .month(let number): return String(number)
        case .day(let date), .time(let date): return String(Int(date.timeIntervalSince1970))
        }
    }
}
