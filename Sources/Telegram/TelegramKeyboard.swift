import ChannelKit
import SamenspraakCore

/// How a message and its choices look on Telegram: one button per row (labels can be long), callback data
/// within Telegram's 64-byte limit, and texts cut to Telegram's 4,096 characters.
enum TelegramKeyboard {
    static let maximumCallbackBytes = 64
    static let maximumTextLength = 4096

    static func markup(for choices: [Choice]) -> InlineKeyboardMarkup? {
        guard !choices.isEmpty else { return nil }
        return InlineKeyboardMarkup(inlineKeyboard: choices.enumerated().map { index, choice in
            [InlineKeyboardButton(text: choice.label, callbackData: callbackData(for: choice, at: index))]
        })
    }

    /// The choice id itself when it fits; otherwise "#n", which is answered like typing its number.
    static func callbackData(for choice: Choice, at index: Int) -> String {
        choice.id.utf8.count <= maximumCallbackBytes ? choice.id : "#\(index + 1)"
    }

    static func content(forCallbackData data: String) -> InboundContent {
        if data.hasPrefix("#"), let number = Int(data.dropFirst()) { return .text(String(number)) }
        return .choice(data)
    }

    /// Parts of at most 4,096 UTF-16 units (Telegram's measure), cut at a line break or space where possible.
    static func parts(of text: String) -> [String] { TextLimits.parts(of: text, maximum: maximumTextLength) }
}

/// The message whose button was pressed, as Telegram sends it back: what it says and which button it was (the label
/// is nil when Telegram left the buttons out).
struct PressedQuestion: Sendable {
    let messageID: Int64
    let text: String
    let choice: String?

    /// Nil for a message without text (an old one Telegram no longer shows us): there is nothing to edit.
    init?(_ message: Message, data: String) {
        guard let text = message.text else { return nil }
        messageID = message.messageID
        self.text = text
        choice = message.replyMarkup?.inlineKeyboard.joined().first { $0.callbackData == data }?.text
    }

    /// The question with the choice under it (without it if the message would pass 4,096 characters), without its
    /// buttons.
    var answered: String {
        guard let choice else { return text }
        let answered = "\(text)\n\n→ \(choice)"
        return answered.utf16.count <= TelegramKeyboard.maximumTextLength ? answered : text
    }

    /// The answered question and then `reply`: the message in place of both.
    func followed(by reply: String) -> String { "\(answered)\n\n\(reply)" }
}
