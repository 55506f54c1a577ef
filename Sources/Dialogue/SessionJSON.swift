import Foundation
import SamenspraakCore

/// A session is stored as JSON after every step. `JSONEncoder` took a quarter of a whole step (database commit
/// included), so the step writes the same JSON by hand: the keys and shapes `Codable` gives these types, which
/// `JSONDecoder` reads back (`SessionJSONTests` holds the two to each other).
extension Session {
    public var json: String {
        var json = JSONText()
        json.beginObject()
        json.field("language", language)
        json.field("flow", flow)
        json.field("step", step)
        json.key("vars")
        json.beginObject()
        for (name, value) in vars {
            json.key(name)
            value.write(to: &json)
        }
        json.endObject()
        if let waiting {
            json.key("waiting")
            json.beginObject()
            json.key("choices")
            json.beginArray()
            for choice in waiting.choices {
                json.nextElement()
                json.beginObject()
                json.field("id", choice.id)
                json.field("label", choice.label)
                json.key("isOption")
                json.bool(choice.isOption)
                json.endObject()
            }
            json.endArray()
            json.key("acceptsText")
            json.bool(waiting.acceptsText)
            json.endObject()
        }
        json.endObject()
        return json.text
    }
}

extension MessageValue {
    /// As `Codable` writes an enum case with one unnamed value, `{"text":{"_0":"…"}}`; a date as seconds since 2001.
    fileprivate func write(to json: inout JSONText) {
        let name = switch self {
        case .text: "text"
        case .message: "message"
        case .number: "number"
        case .month: "month"
        case .day: "day"
        case .time: "time"
        }
        json.beginObject()
        json.key(name)
        json.beginObject()
        json.key("_0")
        switch self {
        case .text(let text), .message(let text): json.string(text)
        case .number(let number), .month(let number): json.raw(String(number))
        case .day(let date), .time(let date): json.raw(date.timeIntervalSinceReferenceDate.description)
        }
        json.endObject()
        json.endObject()
    }
}

/// A small JSON writer: strings escaped as JSON requires, and the commas between fields and elements.
struct JSONText {
    private(set) var text = ""
    /// Whether the next key or element follows another in the same object or array.
    private var followsAnother = false

    mutating func raw(_ piece: String) { text += piece }
    mutating func bool(_ value: Bool) { text += value ? "true" : "false" }

    mutating func beginObject() { text += "{"; followsAnother = false }
    mutating func endObject() { text += "}"; followsAnother = true }
    mutating func beginArray() { text += "["; followsAnother = false }
    mutating func endArray() { text += "]"; followsAnother = true }

    mutating func nextElement() {
        if followsAnother { text += "," }
        followsAnother = true
    }

    mutating func key(_ name: String) {
        nextElement()
        string(name)
        text += ":"
    }

    /// A string field; left out when nil, as `Codable` leaves out an absent optional.
    mutating func field(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    mutating func string(_ value: String) { text.appendJSONQuoted(value) }
}
