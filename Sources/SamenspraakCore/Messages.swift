import Foundation

/// A channel as Samenspraak knows it. Later platforms add cases.
public enum ChannelKind: String, Sendable, Codable, CaseIterable {
    case webchat
    case terminal
    case telegram
    case whatsapp
    case sms
    case matrix
}

/// What a person sent, normalised by its channel.
public struct InboundEvent: Sendable, Equatable {
    public var channel: ChannelKind
    /// The sender's address on that channel (a web chat client id, a terminal session id, a chat id…).
    public var address: String
    /// The platform's id for this message; the inbox suppresses a second delivery of the same id.
    public var platformMessageID: String
    public var content: InboundContent
    /// Language the platform or browser suggests, if any (e.g. "ar").
    public var languageHint: String?

    public init(channel: ChannelKind, address: String, platformMessageID: String, content: InboundContent, languageHint: String? = nil) {
        self.channel = channel
        self.address = address
        self.platformMessageID = platformMessageID
        self.content = content
        self.languageHint = languageHint
    }
}

public enum InboundContent: Sendable, Equatable {
    case text(String)
    /// A pressed button, identified by the choice id it carried.
    case choice(String)
    /// Something that is not text (a photo, voice note, sticker, location, document): answered politely, not understood.
    case unsupported
}

/// A button offered with a message.
public struct Choice: Sendable, Equatable, Codable, Hashable {
    public var id: String
    public var label: String

    public init(id: String, label: String) {
        self.id = id
        self.label = label
    }
}

/// One message to a person, already in their language.
public struct OutboundMessage: Sendable, Equatable, Codable {
    public var text: String
    public var choices: [Choice]
    public var language: String
    public var rightToLeft: Bool

    public init(text: String, choices: [Choice] = [], language: String, rightToLeft: Bool = false) {
        self.text = text
        self.choices = choices
        self.language = language
        self.rightToLeft = rightToLeft
    }
}

extension OutboundMessage {
    /// The message as the outbox stores it: JSON that `JSONDecoder` reads back as this message. Written by hand, as
    /// every step writes one: JSONEncoder was 2 % of the daemon's CPU under load.
    public var json: String {
        var json = #"{"text":"#
        json.appendJSONQuoted(text)
        json += #","choices":["#
        for (index, choice) in choices.enumerated() {
            json += index == 0 ? #"{"id":"# : #",{"id":"#
            json.appendJSONQuoted(choice.id)
            json += #","label":"#
            json.appendJSONQuoted(choice.label)
            json += "}"
        }
        json += #"],"language":"#
        json.appendJSONQuoted(language)
        json += #","rightToLeft":\#(rightToLeft)}"#
        return json
    }

    /// A stored message back; nil when `json` is not one.
    public init?(json: String) {
        guard let message = try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) else { return nil }
        self = message
    }
}

/// Longest inbound text accepted; longer messages get a friendly "too long" reply.
public let maximumInboundTextLength = 2000

extension String {
    /// How typed words are compared with keywords and button labels: lower-cased, trimmed of spaces and
    /// punctuation at either end; diacritics are kept (they matter in Polish and Turkish), but the dot of a
    /// capital İ ("İPTAL" lower-cases to "i̇ptal" outside a Turkish locale) is dropped so it equals "iptal".
    /// Pure standard library: it runs on every message typed, and Foundation's trimming is many times slower.
    public var foldedForMatching: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace || String.trimmedPunctuation.contains(first) { text.removeFirst() }
        while let last = text.last, last.isWhitespace || String.trimmedPunctuation.contains(last) { text.removeLast() }
        let lowered = text.lowercased()
        guard lowered.unicodeScalars.contains("\u{307}") else { return lowered }
        var kept = String.UnicodeScalarView()
        for scalar in lowered.unicodeScalars where !(scalar == "\u{307}" && kept.last == "i") { kept.append(scalar) }
        return String(kept)
    }

    /// A whole number typed alone, in the digits of any shipped keyboard: Western (3), Arabic-Indic (٣) or Persian (۳);
    /// spaces and punctuation at either end are ignored. How a parent picks an option by its number.
    public var typedNumber: Int? {
        let text = foldedForMatching
        guard !text.isEmpty, text.unicodeScalars.count <= 9 else { return nil }
        var value = 0
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x30...0x39: value = value * 10 + Int(scalar.value - 0x30)
            case 0x660...0x669: value = value * 10 + Int(scalar.value - 0x660)
            case 0x6F0...0x6F9: value = value * 10 + Int(scalar.value - 0x6F0)
            default: return nil
            }
        }
        return value
    }

    /// Trimmed at either end: Latin, Spanish (¿ ¡), Arabic and Persian (؟ ،) and Ethiopic (። ፣ ፧) punctuation.
    private static let trimmedPunctuation: Set<Character> = ["!", "?", ".", ",", "¿", "¡", "؟", "،", "።", "፣", "፧"]
}
