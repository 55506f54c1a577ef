import Foundation
import ChannelKit
import Dialogue
import SamenspraakCore

/// How a message looks as SMS: there are no buttons, so choices follow the text as numbered lines ("1. Dinsdag
/// 15:00"), answered by typing the number or the label, as the dialogue engine accepts everywhere. A text longer than
/// Twilio takes in one request (1,600 characters) goes in parts, cut at a line break or space, the choices with the last.
enum SMSRendering {
    static let maximumBody = 1600

    static func bodies(for message: OutboundMessage) -> [String] {
        var text = message.text
        if !message.choices.isEmpty {
            text += "\n\n" + message.choices.enumerated().map { "\($0.offset + 1). \($0.element.label)" }.joined(separator: "\n")
        }
        return TextLimits.parts(of: text, maximum: maximumBody)
    }

    /// For a message whose choices all start a command from wherever the person is (a reminder's "Verzetten", an
    /// agreement's "Klopt"), the choice a typed number names: the dialogue engine matches typed numbers only against
    /// the open question, and such a message is no question.
    static func commandChoice(typed text: String, after message: OutboundMessage) -> String? {
        guard !message.choices.isEmpty, message.choices.allSatisfy({ $0.id.hasPrefix(DialogueEngine.commandPrefix) }),
              let number = text.trimmingCharacters(in: .whitespacesAndNewlines).typedNumber, (1...message.choices.count).contains(number) else { return nil }
        return message.choices[number - 1].id
    }
}
