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
            // Choosing the language answers with two messages: the first goes from the step, the second after the interval.
            try await Task.sleep(for: .milliseconds(450))
            try await parent.press("Nederlands", in: welcome)
            _ = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Gesprek plannen" } }
            let sends = fake.instanceCalls.filter { $0.method == "sendMessage" }
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
}
