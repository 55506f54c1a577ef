import Foundation
import SamenspraakCore
import Storage
import Telegram
import Testing
import TestSupport

/// A step's replies go out from the update's own handling: claimed in the step's commit and sent at once, without
/// waiting for a pass of the sender's lanes; but never ahead of an earlier message to the chat, and never sooner
/// after the chat's last message than the per-chat interval allows.
@Suite struct TelegramReplyTests {
    @Test func aStepSendsItsOwnReplyWithoutTheSendersLanes() async throws {
        // The sender's lanes do not run here: only the step itself can send the welcome.
        try await withTelegram(limits: .init(perChatInterval: .zero, perSecond: 1000), runningLanes: false) { school, fake, parent in
            parent.send(text: "/start \(InviteCode.display(try school.household().code))", command: true)
            _ = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Nederlands" } }
            let rows = try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: String(parent.chatID), after: 0) }
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: String(parent.chatID), after: 0) }
                .allSatisfy { $0.status == "sent" } }
            #expect(rows.count == 1 && rows[0].claimedBy == school.runtime.database.leases.instance && rows[0].attempts == 1)
            #expect(fake.calls.filter { $0 == "sendMessage" }.count == 1, "sent once")
        }
    }

    @Test func aPressOnAMessageTelegramNoLongerShowsIsStillAnswered() async throws {
        try await withTelegram(limits: .init(perChatInterval: .zero, perSecond: 1000), runningLanes: false) { school, fake, parent in
            parent.send(text: "/start \(InviteCode.display(try school.household().code))", command: true)
            let welcome = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Nederlands" } }
            let data = try #require(welcome.buttons.first { $0.label == "Nederlands" }).data
            // Older than 48 hours: Telegram sends an "inaccessible message", without its text (date 0).
            fake.push(#"{"callback_query":{"id":"cb-old","from":\#(parent.from),"message":{"message_id":\#(welcome.messageID),"chat":{"id":\#(parent.chatID),"type":"private"},"date":0},"chat_instance":"-5551234","data":"\#(data)"}}"#)
            _ = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Gesprek plannen" } }
            #expect(!fake.calls.contains("editMessageText"), "nothing to edit")
        }
    }

    @Test func aSecondReplyWaitsForThePerChatIntervalAndGoesThroughTheLanes() async throws {
        try await withTelegram(limits: .init(perChatInterval: .milliseconds(400), perSecond: 1000), runningLanes: true) { school, fake, parent in
            parent.send(text: "/start \(InviteCode.display(try school.household().code))", command: true)
            let welcome = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Nederlands" } }
            // Choosing the language answers with two messages: the first goes from the step (in place of the question), the
            // second after the interval.
            try await Task.sleep(for: .milliseconds(450))
            try await parent.press("Nederlands", in: welcome)
            _ = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Gesprek plannen" } }
            let sends = fake.sent
            #expect(sends.count == 3)
            if sends.count == 3 { #expect(sends[2].at - sends[1].at >= .milliseconds(390), "\(sends[2].at - sends[1].at)") }
            let rows = try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: String(parent.chatID), after: 0) }
            #expect(rows.map(\.attempts) == [1, 1, 1])
        }
    }

    @Test func aReplyWaitsBehindAnEarlierMessageToTheChat() async throws {
        try await withTelegram(limits: .init(perChatInterval: .zero, perSecond: 1000), runningLanes: false) { school, fake, parent in
            let address = String(parent.chatID)
            parent.send(text: "/start \(InviteCode.display(try school.household().code))", command: true)
            _ = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Nederlands" } }
            // A reminder that failed and waits for its retry: what the parent is answered now must come after it.
            let waiting = try school.runtime.database.writeNow { tx in
                let contact = try #require(try tx.contact(channel: "telegram", address: address))
                let id = try tx.enqueue(contactID: contact.id!, channel: "telegram", address: address, payload: #"{"text":"Herinnering","choices":[]}"#,
                                        unprompted: true, at: Date())
                _ = try tx.claimOutbox(ids: [id], instance: "test")
                try tx.retryOutbox(id: id, at: Date().addingTimeInterval(600), error: "unavailable: test")
                return id
            }
            parent.send(text: "menu")
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: address, after: waiting).count } >= 1 }
            let reply = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: address, after: waiting) }.first)
            #expect(reply.status == "pending" && reply.claimedBy == nil, "left in the queue, behind the reminder")
            #expect(fake.calls.filter { $0 == "sendMessage" }.count == 1, "only the welcome went out")
        }
    }

    @Test func aReplyToAPressGoesInPlaceOfTheQuestion() async throws {
        try await withTelegram(limits: .init(perChatInterval: .zero, perSecond: 1000), runningLanes: false) { school, fake, parent in
            let address = String(parent.chatID)
            parent.send(text: "/start \(InviteCode.display(try school.household().code))", command: true)
            let welcome = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Nederlands" } }
            try await parent.press("Nederlands", in: welcome)
            // One request: the question keeps its text, shows the choice, then the reply; its buttons are the reply's.
            let inPlace = try await parent.waitForMessage { $0.inPlace }
            #expect(inPlace.messageID == welcome.messageID && inPlace.text.hasPrefix("Fijn dat u er bent"))
            #expect(fake.text(of: welcome.messageID) == "\(welcome.text)\n\n→ Nederlands\n\n\(inPlace.text)")
            let menu = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Gesprek plannen" } }
            #expect(!menu.inPlace, "the second reply is a message of its own")
            #expect(fake.calls.filter { $0 == "editMessageText" }.count == 1)
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: address, after: 0) }.allSatisfy { $0.status == "sent" } }
            let rows = try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: address, after: 0) }
            #expect(rows.map(\.platformMessageID) == [String(welcome.messageID), String(welcome.messageID), String(menu.messageID)],
                    "the first reply is recorded as the message it went into")

            // The next press goes into that message in turn, after what it says now.
            try await parent.press("Gesprek plannen", in: menu)
            let children = try await parent.waitForMessage { $0.inPlace }
            #expect(children.messageID == menu.messageID && children.text.hasPrefix("Voor welk kind"))
            #expect(fake.text(of: menu.messageID) == "\(menu.text)\n\n→ Gesprek plannen\n\n\(children.text)")
        }
    }

    @Test func aReplyThatDoesNotFitOrCannotGoInPlaceIsANewMessage() async throws {
        try await withTelegram(limits: .init(perChatInterval: .zero, perSecond: 1000), runningLanes: false) { school, fake, parent in
            parent.send(text: "/start \(InviteCode.display(try school.household().code))", command: true)
            let welcome = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Nederlands" } }
            let dutch = try #require(welcome.buttons.first { $0.label == "Nederlands" }).data
            // The question with the reply would pass Telegram's 4,096 characters: the choice is shown, the reply sent.
            let long = String(repeating: "Lange vraag. ", count: 310)
            fake.push(#"{"callback_query":{"id":"cb-long","from":\#(parent.from),"message":{"message_id":\#(welcome.messageID),"chat":{"id":\#(parent.chatID),"type":"private"},"date":1795424400,"text":"\#(long)","reply_markup":{"inline_keyboard":[[{"text":"Nederlands","callback_data":"\#(dutch)"}]]}},"chat_instance":"-5551234","data":"\#(dutch)"}}"#)
            let reply = try await parent.waitForMessage { $0.text.hasPrefix("Fijn dat u er bent") }
            #expect(!reply.inPlace)
            #expect(fake.edits == ["\(long)\n\n→ Nederlands"])

            // Telegram refuses the edit (the message was deleted): the same.
            let menu = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Gesprek plannen" } }
            fake.failNextSends([.notEditable])
            try await parent.press("Gesprek plannen", in: menu)
            let children = try await parent.waitForMessage { $0.text.hasPrefix("Voor welk kind") }
            #expect(!children.inPlace)
            #expect(fake.edits.last == "\(menu.text)\n\n→ Gesprek plannen")
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: String(parent.chatID), after: 0) }
                .allSatisfy { $0.status == "sent" } }
        }
    }
}
