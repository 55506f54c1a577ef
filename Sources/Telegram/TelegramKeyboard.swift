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
