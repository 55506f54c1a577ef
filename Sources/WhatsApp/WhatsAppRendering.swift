import ChannelKit
import SamenspraakCore

/// How a message and its choices look on WhatsApp, within the Cloud API's limits: up to 3 choices as reply buttons
/// (titles ≤ 20 characters), up to 10 as a list (row titles ≤ 24, the opening button's label ≤ 20), more as numbered
/// text (typing the number chooses). Labels too long are shortened on a word boundary with "…" and kept unique; a
/// shortened list row shows the whole label as its description (≤ 72). Texts go in parts of 4,096 characters, and
/// the part carrying buttons or a list in at most 1,024.
enum WhatsAppRendering {
    static let maximumText = 4096
    static let maximumBody = 1024
    static let maximumButtons = 3
    static let buttonTitle = 20
    static let maximumRows = 10
    static let rowTitle = 24
    static let rowDescription = 72
    static let listButton = 20
    static let buttonID = 256
    static let rowID = 200
    /// A template's text parameter: no line breaks or tabs, no more than four spaces in a row, at most 1,024 characters.
    static let templateParameter = 1024

    /// The Graph API messages for `message`, in order; the choices go with the last.
    static func messages(for message: OutboundMessage, to address: String, listLabel: String) -> [GraphMessage] {
        let choices = message.choices
        guard !choices.isEmpty else { return text(message.text, to: address) }
        guard choices.count <= maximumRows else {
            let numbered = choices.enumerated().map { "\($0.offset + 1). \($0.element.label)" }.joined(separator: "\n")
            return text(message.text + "\n\n" + numbered, to: address)
        }
        var parts = TextLimits.parts(of: message.text, maximum: maximumText)
        let last = TextLimits.parts(of: parts.removeLast(), maximum: maximumBody)
        parts += last.dropLast()
        let body = GraphMessage.Interactive.TextBody(text: last.last.flatMap { $0.isEmpty ? nil : $0 } ?? "…")
        let leading = parts.flatMap { text($0, to: address) }
        if choices.count <= maximumButtons {
            let titles = TextLimits.uniqueLabels(choices.map(\.label), maximum: buttonTitle)
            let buttons = zip(choices.indices, titles).map { index, title in
                GraphMessage.Button(reply: .init(id: replyID(for: choices[index], at: index, maximum: buttonID), title: title))
            }
            return leading + [GraphMessage(to: address, type: "interactive",
                                           interactive: .init(type: "button", body: body, action: .init(buttons: buttons)))]
        }
        let titles = TextLimits.uniqueLabels(choices.map(\.label), maximum: rowTitle)
        let rows = zip(choices.indices, titles).map { index, title in
            let label = choices[index].label
            return GraphMessage.Row(id: replyID(for: choices[index], at: index, maximum: rowID), title: title,
                                    description: title == label ? nil : TextLimits.shorten(label, to: rowDescription))
        }
        let action = GraphMessage.Action(button: TextLimits.shorten(listLabel, to: listButton), sections: [.init(rows: rows)])
        return leading + [GraphMessage(to: address, type: "interactive", interactive: .init(type: "list", body: body, action: action))]
    }

    static func text(_ text: String, to address: String) -> [GraphMessage] {
        TextLimits.parts(of: text, maximum: maximumText).map { GraphMessage(to: address, type: "text", text: .init(body: $0)) }
    }

    /// The approved template `template` with the message's text as its one body parameter ({{1}}).
    static func template(_ template: WhatsAppTemplate, for message: OutboundMessage, to address: String) -> GraphMessage {
        GraphMessage(to: address, type: "template",
                     template: .init(name: template.name, language: .init(code: template.languageCode),
                                     components: [.init(parameters: [.init(text: templateText(message.text))])]))
    }

    /// The text as a template parameter allows it: lines joined with " · ", runs of spaces made one, shortened to fit.
    static func templateText(_ text: String) -> String {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" })
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            .filter { !$0.isEmpty }
        return TextLimits.shorten(lines.joined(separator: " · "), to: templateParameter)
    }

    /// The choice's id when it fits the platform's limit; otherwise "#n", which is answered like typing its number.
    static func replyID(for choice: Choice, at index: Int, maximum: Int) -> String {
        choice.id.utf8.count <= maximum && !choice.id.hasPrefix("#") ? choice.id : "#\(index + 1)"
    }

    /// What a pressed button or chosen row means: its choice, or for "#n" the number typed.
    static func content(forReplyID id: String) -> InboundContent {
        if id.hasPrefix("#"), let number = Int(id.dropFirst()) { return .text(String(number)) }
        return .choice(id)
    }
}

/// An approved message template for one language: its name and WhatsApp's language code ("nl", "en_US", "ar").
/// It must have one body variable, {{1}}, which carries the message's text.
public struct WhatsAppTemplate: Sendable, Equatable {
    public var name: String
    public var languageCode: String

    public init(name: String, languageCode: String) {
        self.name = name
        self.languageCode = languageCode
    }
}
