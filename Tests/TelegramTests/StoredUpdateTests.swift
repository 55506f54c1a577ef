import Foundation
@testable import Telegram
import Testing

/// What the inbox keeps of a polled update (`Update.storedJSON`, written by hand) decodes back to the same update and
/// keeps no names, usernames or media; and a Bot API answer's `"ok":true` is read without decoding it.
@Suite struct StoredUpdateTests {
    static let sender = #"{"id":4242001,"is_bot":false,"first_name":"Yusuf","last_name":"El Amrani","username":"yusuf_e","language_code":"ar"}"#
    static let chat = #"{"id":4242001,"first_name":"Yusuf","username":"yusuf_e","type":"private"}"#
    static let updates: [String] = [
        #"{"update_id":1,"message":{"message_id":1,"from":\#(sender),"chat":\#(chat),"date":1795424400,"text":"/start K7M2-QX9P","entities":[{"offset":0,"length":6,"type":"bot_command"}]}}"#,
        #"{"update_id":2,"message":{"message_id":2,"from":\#(sender),"chat":\#(chat),"date":1795424400,"text":"مرحبا 👋🏽 \"ja\" \\ nee\nregel 2"}}"#,
        #"{"update_id":3,"callback_query":{"id":"4382bfdwdsb323b2d9","from":\#(sender),"message":{"message_id":1,"from":{"id":123456,"is_bot":true,"first_name":"Samenspraak","username":"samenspraak_bot"},"chat":\#(chat),"date":1795424400,"text":"In welke taal?","reply_markup":{"inline_keyboard":[[{"text":"Nederlands","callback_data":"o:nl"}],[{"text":"العربية","callback_data":"o:ar"}]]}},"chat_instance":"-5551234","data":"o:ar"}}"#,
        #"{"update_id":4,"edited_message":{"message_id":3,"from":\#(sender),"chat":\#(chat),"date":1795424400,"edit_date":1795424460,"text":"afzeggen"}}"#,
        #"{"update_id":5,"message":{"message_id":4,"from":\#(sender),"chat":\#(chat),"date":1795424400,"contact":{"phone_number":"+31612345678","first_name":"Fatima","user_id":77}}}"#,
        #"{"update_id":6,"message":{"message_id":5,"from":\#(sender),"chat":\#(chat),"date":1795424400,"location":{"latitude":52.0907,"longitude":5.1214}}}"#,
        #"{"update_id":7,"message":{"message_id":6,"from":\#(sender),"chat":{"id":-100200300,"title":"Groep 5 ouders","type":"supergroup"},"date":1795424400,"text":"Hoi allemaal"}}"#,
        #"{"update_id":8,"my_chat_member":{"chat":\#(chat),"from":\#(sender),"date":1795424500,"old_chat_member":{"user":{"id":123456,"is_bot":true,"first_name":"Samenspraak"},"status":"member"},"new_chat_member":{"user":{"id":123456,"is_bot":true,"first_name":"Samenspraak"},"status":"kicked","until_date":0}}}"#,
    ]

    func decode(_ json: String) throws -> Update { try JSONDecoder().decode(Update.self, from: Data(json.utf8)) }

    @Test(arguments: updates) func aStoredUpdateReadsBackWithWhatIsUsedAndNothingElse(json: String) throws {
        let update = try decode(json)
        let stored = update.storedJSON
        let again = try decode(stored)
        #expect(again.storedJSON == stored)
        #expect(again.updateID == update.updateID)
        #expect(TelegramInbound.platformID(again) == TelegramInbound.platformID(update))
        #expect(TelegramInbound.chat(of: again) == TelegramInbound.chat(of: update))
        let message = again.message ?? again.editedMessage
        let original = update.message ?? update.editedMessage
        #expect(message?.text == original?.text && message?.hasMedia == original?.hasMedia && message?.chat.type == original?.chat.type)
        #expect(message?.from?.languageCode == original?.from?.languageCode)
        #expect(again.callbackQuery?.data == update.callbackQuery?.data && again.callbackQuery?.id == update.callbackQuery?.id)
        #expect(again.callbackQuery?.message?.replyMarkup == update.callbackQuery?.message?.replyMarkup)
        #expect(again.myChatMember?.newChatMember.status == update.myChatMember?.newChatMember.status)
        for personal in ["Yusuf", "El Amrani", "yusuf_e", "+31612345678", "Fatima", "52.0907", "Groep 5"] {
            #expect(!stored.contains(personal), "\(personal) kept in \(stored)")
        }
    }

    @Test func mediaAreKeptOnlyAsTheirPresence() throws {
        let contact = try decode(Self.updates[4])
        #expect(contact.message?.hasMedia == true)
        #expect(try decode(contact.storedJSON).message?.hasMedia == true)
        #expect(try decode(Self.updates[0]).storedJSON.contains("has_media") == false)
    }

    @Test(arguments: [
        (#"{"ok":true,"result":true}"#, true),
        (#"{"ok":true,"result":{"message_id":7,"chat":{"id":1,"type":"private"},"date":1795424400,"text":"a \"}\" b"}}"#, true),
        (#" { "result" : [ 1, {"ok":false} ] , "ok" : true } "#, true),
        (#"{"ok":false,"error_code":400,"description":"Bad Request: message is not modified"}"#, false),
        (#"{"ok":false,"error_code":429,"description":"\"ok\":true","parameters":{"retry_after":3}}"#, false),
        (#"{"result":{"ok":true},"ok":false}"#, false),
        (#"{"ok":true"#, false),
        (#"{"ok":true}{"#, false),
        (#"{"ok":truth}"#, false),
        (#"{"ok":"true"}"#, false),
        ("<html>502 Bad Gateway</html>", false),
        ("", false),
    ])
    func anAnswersOKIsReadWithoutDecodingIt(answer: String, isOK: Bool) {
        #expect(BotAPIAnswer.isOK(Array(answer.utf8)) == isOK)
    }
}
