import Foundation
@testable import Telegram
import Testing

/// The Bot API request bodies are written by hand; JSON readers must get back exactly what was meant, whatever the
/// text holds (quotes, backslashes, line breaks, control characters, Arabic, emoji).
@Suite struct BotAPIBodyTests {
    static let texts = ["Welkom bij Samenspraak!", #"Zij zei: "ja" \ nee"#, "regel 1\nregel 2\t\r", "\u{01}\u{1F}", "مرحبا 👋🏽", "→ 14:00"]

    func object(_ json: String) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary, "not a JSON object: \(json)")
    }

    @Test(arguments: texts) func aMessageWithButtonsReadsBackAsWritten(text: String) throws {
        let keyboard = InlineKeyboardMarkup(inlineKeyboard: [[InlineKeyboardButton(text: text, callbackData: "o:nl")],
                                                             [InlineKeyboardButton(text: "Terug", callbackData: #"c:"x"\"#)]])
        let sent = try object(BotAPIBody.sendMessage(chatID: "-1001234567890", text: text, keyboard: keyboard))
        #expect(sent == ["chat_id": "-1001234567890", "text": text,
                         "reply_markup": ["inline_keyboard": [[["text": text, "callback_data": "o:nl"]], [["text": "Terug", "callback_data": #"c:"x"\"#]]]]])
        #expect(try object(BotAPIBody.sendMessage(chatID: "42", text: text, keyboard: nil)) == ["chat_id": "42", "text": text])
        #expect(try object(BotAPIBody.editMessageText(chatID: "42", messageID: 7, text: text)) == ["chat_id": "42", "message_id": 7, "text": text])
        #expect(try object(BotAPIBody.editMessageText(chatID: "42", messageID: 7, text: text, keyboard: keyboard))
                == ["chat_id": "42", "message_id": 7, "text": text,
                    "reply_markup": ["inline_keyboard": [[["text": text, "callback_data": "o:nl"]], [["text": "Terug", "callback_data": #"c:"x"\"#]]]]])
    }

    @Test func aPressedQuestionShowsItsChoiceWithinTelegramsLimit() throws {
        func pressed(_ text: String) throws -> PressedQuestion {
            let json = #"{"message_id":7,"chat":{"id":42,"type":"private"},"date":1795424400,"text":"\#(text)","reply_markup":{"inline_keyboard":[[{"text":"Dinsdag","callback_data":"d:2"}]]}}"#
            return try #require(PressedQuestion(try JSONDecoder().decode(Message.self, from: Data(json.utf8)), data: "d:2"))
        }
        let question = try pressed("Welke dag?")
        #expect(question.answered == "Welke dag?\n\n→ Dinsdag")
        #expect(question.followed(by: "Hoe laat?") == "Welke dag?\n\n→ Dinsdag\n\nHoe laat?")
        // Near the limit the choice is left out rather than the edit refused, so the buttons still go.
        let long = String(repeating: "x", count: 4090)
        #expect(try pressed(long).answered == long)
    }

    @Test func theOtherMethodsReadBackAsWritten() throws {
        let updates: [String] = ["message", "edited_message", "callback_query", "my_chat_member"]
        #expect(try object(BotAPIBody.getUpdates(offset: 123_456_789_012, limit: 50, timeout: 25))
                == ["offset": 123_456_789_012, "limit": 50, "timeout": 25, "allowed_updates": updates])
        #expect(try object(BotAPIBody.setWebhook(url: "https://school.example/telegram/webhook", secret: "s3cret_Token-1"))
                == ["url": "https://school.example/telegram/webhook", "secret_token": "s3cret_Token-1", "allowed_updates": updates])
        #expect(try object(BotAPIBody.deleteWebhook) == ["drop_pending_updates": false])
        #expect(try object(BotAPIBody.answerCallbackQuery(id: #"4382bf"dw\"#)) == ["callback_query_id": #"4382bf"dw\"#])
        #expect(try object(BotAPIBody.inWebhookAnswer("answerCallbackQuery", BotAPIBody.answerCallbackQuery(id: "q1")))
                == ["method": "answerCallbackQuery", "callback_query_id": "q1"])
    }
}
