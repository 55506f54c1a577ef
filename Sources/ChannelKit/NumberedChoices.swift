import Dialogue
import SamenspraakCore

/// Choices for a platform without buttons (SMS, Matrix): they follow the text as numbered lines ("1. Dinsdag 15:00"),
/// answered by typing the number or the label, as the dialogue engine accepts everywhere.
public enum NumberedChoices {
    /// The message's text with its choices numbered below it.
    public static func text(of message: OutboundMessage) -> String {
        guard !message.choices.isEmpty else { return message.text }
        return message.text + "\n\n" + lines(of: message).joined(separator: "\n")
    }

    /// "1. Dinsdag 15:00", one per choice.
    public static func lines(of message: OutboundMessage) -> [String] {
        message.choices.enumerated().map { "\($0.offset + 1). \($0.element.label)" }
    }

    /// For a message whose choices all start a command from wherever the person is (a reminder's "Verzetten", an
    /// agreement's "Klopt"), the choice a typed number names: the dialogue engine matches typed numbers only against
    /// the open question, and such a message is no question.
    public static func commandChoice(typed text: String, after message: OutboundMessage) -> String? {
        guard !message.choices.isEmpty, message.choices.allSatisfy({ $0.id.hasPrefix(DialogueEngine.commandPrefix) }),
              let number = text.trimmingCharacters(in: .whitespacesAndNewlines).typedNumber, (1...message.choices.count).contains(number) else { return nil }
        return message.choices[number - 1].id
    }
}
