import ChannelKit
import Foundation
import SamenspraakCore

/// How a message looks in a Matrix room: there are no buttons, so choices follow the text as numbered lines
/// (`NumberedChoices`, as SMS), answered by typing the number or the label. Clients that show HTML get the same as a
/// numbered list (`formatted_body`), right to left for Arabic and Persian. A very long text goes in parts (an event may
/// hold 64 KiB), the choices with the last.
enum MatrixRendering {
    static let maximumBody = 16_000

    static func contents(for message: OutboundMessage) -> [MessageContent] {
        let parts = TextLimits.parts(of: NumberedChoices.text(of: message), maximum: maximumBody)
        guard parts.count == 1, let only = parts.first else { return parts.map { MessageContent(body: $0) } }
        return [MessageContent(body: only, formattedBody: html(of: message))]
    }

    /// The text as HTML (paragraphs, line breaks), the choices as an ordered list.
    static func html(of message: OutboundMessage) -> String {
        let paragraphs = message.text.components(separatedBy: "\n\n").map { "<p>" + escape($0).replacingOccurrences(of: "\n", with: "<br>") + "</p>" }
        var html = paragraphs.joined()
        if !message.choices.isEmpty {
            html += "<ol>" + message.choices.map { "<li>" + escape($0.label) + "</li>" }.joined() + "</ol>"
        }
        return message.rightToLeft ? "<div dir=\"rtl\">" + html + "</div>" : html
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The transaction id of a part of an outbox row: the same at every attempt, so the homeserver takes it once.
    static func transactionID(outboxID: Int64, part: Int) -> String {
        part == 0 ? "samenspraak-\(outboxID)" : "samenspraak-\(outboxID)-\(part)"
    }
}
