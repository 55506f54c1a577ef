import App
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SamenspraakCore
import Storage
import Telegram
import Testing
import TestSupport

/// Realistic Telegram updates, one per row, through the real HTTP path (the webhook on 127.0.0.1), each checked
/// for what it must change in the database. Payload shapes follow https://core.telegram.org/bots/api#update.
@Suite struct TelegramPayloadTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let update: @Sendable (_ code: String) -> String
        let status: HTTPResponse.Status
        /// Outbox rows for the parent's chat after this update, counted from before it.
        let newReplies: ClosedRange<Int>
        var check: @Sendable (Transaction) throws -> Bool = { _ in true }
        var testDescription: String { name }
    }

    static let chat: Int64 = 4_242_001
    static func message(_ id: Int64, _ fields: String, chat: Int64 = chat, type: String = "private", language: String = "nl") -> String {
        #"{"update_id":\#(id),"message":{"message_id":\#(id),"from":{"id":\#(chat),"is_bot":false,"first_name":"Yusuf","language_code":"\#(language)"},"chat":{"id":\#(chat),"first_name":"Yusuf","type":"\#(type)"},"date":1795424400,\#(fields)}}"#
    }

    static let cases: [Case] = [
        Case(name: "/start with the invite code binds the chat and asks for a language",
             update: { message(1, #""text":"/start \#($0)","entities":[{"offset":0,"length":6,"type":"bot_command"}]"#) },
             status: .ok, newReplies: 1...1, check: { try $0.contact(channel: "telegram", address: String(chat)) != nil }),
        Case(name: "the same update_id again changes nothing",
             update: { message(1, #""text":"/start \#($0)""#) }, status: .ok, newReplies: 0...0),
        Case(name: "a button press (callback_query) answers the question",
             update: { _ in #"{"update_id":2,"callback_query":{"id":"4382bfdwdsb323b2d9","from":{"id":\#(chat),"is_bot":false,"first_name":"Yusuf","language_code":"nl"},"message":{"message_id":1,"chat":{"id":\#(chat),"type":"private"},"date":1795424400,"text":"In welke taal?","reply_markup":{"inline_keyboard":[[{"text":"Nederlands","callback_data":"o:nl"}]]}},"chat_instance":"-5551234","data":"o:nl"}}"# },
             status: .ok, newReplies: 2...2, check: { try $0.contact(channel: "telegram", address: String(chat))?.language == "nl" }),
        Case(name: "a known parent opening an old or mistyped link gets the menu",
             update: { _ in message(11, #""text":"/start AAAA-AAAA-AAAA""#) }, status: .ok, newReplies: 1...1),
        Case(name: "Arabic text with an emoji is read as text (and not understood here)",
             update: { _ in message(3, #""text":"مرحبا 👋🏽""#, language: "ar") }, status: .ok, newReplies: 2...2),
        Case(name: "an edited message does not run a step again",
             update: { _ in #"{"update_id":4,"edited_message":{"message_id":3,"from":{"id":\#(chat),"is_bot":false,"first_name":"Yusuf"},"chat":{"id":\#(chat),"type":"private"},"date":1795424400,"edit_date":1795424460,"text":"afzeggen"}}"# },
             status: .ok, newReplies: 0...0),
        Case(name: "a voice note gets 'I can only read text'",
             update: { _ in message(5, #""voice":{"file_id":"AwACAgQAAxkBAAIC","file_unique_id":"AgADxw","duration":4,"mime_type":"audio/ogg","file_size":10240}"#) },
             status: .ok, newReplies: 1...1),
        Case(name: "a sticker, a location and a document likewise",
             update: { _ in message(6, #""sticker":{"file_id":"CAACAgIAAxkBAAID","file_unique_id":"AgADBA","type":"regular","width":512,"height":512,"is_animated":false,"is_video":false},"location":{"latitude":52.37,"longitude":4.89}"#) },
             status: .ok, newReplies: 1...1),
        Case(name: "a group message is not a parent's conversation",
             update: { _ in message(7, #""text":"Hallo allemaal""#, chat: -1001234567890, type: "supergroup") }, status: .ok, newReplies: 0...0,
             check: { try $0.contact(channel: "telegram", address: "-1001234567890") == nil }),
        Case(name: "blocking the bot (my_chat_member kicked) marks the chat unreachable",
             update: { _ in #"{"update_id":8,"my_chat_member":{"chat":{"id":\#(chat),"type":"private"},"from":{"id":\#(chat),"is_bot":false,"first_name":"Yusuf"},"date":1795424500,"old_chat_member":{"user":{"id":123456,"is_bot":true,"first_name":"Samenspraak"},"status":"member"},"new_chat_member":{"user":{"id":123456,"is_bot":true,"first_name":"Samenspraak"},"status":"kicked","until_date":0}}}"# },
             status: .ok, newReplies: 0...0, check: { try $0.contact(channel: "telegram", address: String(chat))?.unreachableAt != nil }),
        Case(name: "writing again makes the chat reachable again",
             update: { _ in message(9, #""text":"help""#) }, status: .ok, newReplies: 2...2,
             check: { try $0.contact(channel: "telegram", address: String(chat))?.unreachableAt == nil }),
        Case(name: "malformed JSON is refused",
             update: { _ in ##"{"update_id":10,"message":{"message_id":"## }, status: .badRequest, newReplies: 0...0),
        Case(name: "an update without the required fields is refused",
             update: { _ in #"{"message":{"text":"hoi"}}"# }, status: .badRequest, newReplies: 0...0),
    ]

    @Test func eachPayloadHasItsEffect() async throws {
        let school = try TestSchool()
        let (webhook, logger) = offlineWebhook(school, secret: "payload-secret")
        let code = InviteCode.display(try school.household().code)
        let app = try buildApplication(school.runtime, logger: logger, telegramWebhook: webhook)
        try await app.test(.live) { client in
            for testCase in Self.cases {
                let before = try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: String(Self.chat), after: 0).count }
                var headers: HTTPFields = [.contentType: "application/json"]
                headers.append(.init(name: .init(TelegramWebhook.secretHeader)!, value: "payload-secret"))
                let response = try await client.execute(uri: TelegramWebhook.path, method: .post, headers: headers,
                                                        body: ByteBuffer(string: testCase.update(code)))
                #expect(response.status == testCase.status, "\(testCase.name)")
                let (after, holds) = try school.runtime.database.readNow { tx in
                    (try tx.outbox(channel: "telegram", address: String(Self.chat), after: 0).count, try testCase.check(tx))
                }
                #expect(testCase.newReplies.contains(after - before), "\(testCase.name): \(after - before) new replies")
                #expect(holds, "\(testCase.name)")
            }
        }
    }
}
