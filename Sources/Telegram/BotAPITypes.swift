/// The parts of the Telegram Bot API (https://core.telegram.org/bots/api) Samenspraak reads and writes.
/// Unknown fields are ignored, so new Bot API versions do not break decoding.

public struct Update: Decodable, Sendable {
    public var updateID: Int64
    public var message: Message?
    public var editedMessage: Message?
    public var callbackQuery: CallbackQuery?
    public var myChatMember: ChatMemberUpdated?

    enum CodingKeys: String, CodingKey {
        case updateID = "update_id", message, editedMessage = "edited_message", callbackQuery = "callback_query", myChatMember = "my_chat_member"
    }
}

public struct Message: Decodable, Sendable {
    public var messageID: Int64
    public var from: User?
    public var chat: Chat
    public var text: String?
    public var replyMarkup: InlineKeyboardMarkup?
    /// Present (in any form) for photos, voice notes, stickers, locations, documents and the like.
    public var hasMedia: Bool

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id", from, chat, text, replyMarkup = "reply_markup"
        case photo, voice, audio, video, videoNote = "video_note", sticker, location, document, contact, animation, venue, poll
        /// Written when an update is stored in the inbox, in place of the media itself (`storedJSON`).
        case hasMedia = "has_media"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messageID = try container.decode(Int64.self, forKey: .messageID)
        from = try container.decodeIfPresent(User.self, forKey: .from)
        chat = try container.decode(Chat.self, forKey: .chat)
        text = try container.decodeIfPresent(String.self, forKey: .text)
        replyMarkup = try container.decodeIfPresent(InlineKeyboardMarkup.self, forKey: .replyMarkup)
        let media: [CodingKeys] = [.photo, .voice, .audio, .video, .videoNote, .sticker, .location, .document, .contact, .animation, .venue, .poll, .hasMedia]
        hasMedia = media.contains { container.contains($0) }
    }
}

public struct User: Decodable, Sendable {
    public var id: Int64
    public var isBot: Bool?
    /// The user's app language as an IETF tag ("ar", "nl", "pt-br"), when Telegram reports it.
    public var languageCode: String?

    enum CodingKeys: String, CodingKey { case id, isBot = "is_bot", languageCode = "language_code" }
}

public struct Chat: Decodable, Sendable {
    public var id: Int64
    /// "private", "group", "supergroup" or "channel".
    public var type: String
}

public struct CallbackQuery: Decodable, Sendable {
    public var id: String
    public var from: User
    public var message: Message?
    public var data: String?
}

public struct ChatMemberUpdated: Decodable, Sendable {
    public var chat: Chat
    public var from: User
    public var newChatMember: ChatMember

    enum CodingKeys: String, CodingKey { case chat, from, newChatMember = "new_chat_member" }
}

public struct ChatMember: Decodable, Sendable {
    /// "member", "kicked" (the user blocked the bot), "left", "administrator"…
    public var status: String
}

public struct InlineKeyboardMarkup: Decodable, Sendable, Equatable {
    public var inlineKeyboard: [[InlineKeyboardButton]]

    public init(inlineKeyboard: [[InlineKeyboardButton]]) { self.inlineKeyboard = inlineKeyboard }

    enum CodingKeys: String, CodingKey { case inlineKeyboard = "inline_keyboard" }
}

public struct InlineKeyboardButton: Decodable, Sendable, Equatable {
    public var text: String
    public var callbackData: String?

    public init(text: String, callbackData: String) {
        self.text = text
        self.callbackData = callbackData
    }

    enum CodingKeys: String, CodingKey { case text, callbackData = "callback_data" }
}

/// Every Bot API answer: `{"ok": true, "result": …}` or `{"ok": false, "error_code": 429, "description": …, "parameters": {"retry_after": 5}}`.
struct APIResponse<Result: Decodable>: Decodable {
    var ok: Bool
    var result: Result?
    var errorCode: Int?
    var description: String?
    var parameters: Parameters?

    struct Parameters: Decodable {
        var retryAfter: Int?
        enum CodingKeys: String, CodingKey { case retryAfter = "retry_after" }
    }

    enum CodingKeys: String, CodingKey { case ok, result, errorCode = "error_code", description, parameters }
}
