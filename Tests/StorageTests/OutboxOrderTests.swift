import Foundation
import Storage
import Testing
import TestSupport

/// What a platform's sender takes first: replies to parents before reminders and nudges queued earlier, while
/// each address still gets its rows in order once one is held back.
@Suite struct OutboxOrderTests {
    @Test func repliesGoBeforeUnpromptedMessagesQueuedEarlier() throws {
        let school = try TestSchool(households: 6)
        let database = school.runtime.database
        let now = TestSchool.start
        let due = try database.writeNow { tx -> [OutboxRecord] in
            let households = try tx.households().compactMap(\.id)
            var contacts: [Int64] = []
            for (index, household) in households.enumerated() {
                contacts.append(try #require(try tx.insertContact(channel: "telegram", address: "chat\(index)", for: .household(household), session: "{}", at: now).id))
            }
            // A nudge round for five chats, then a parent's reply.
            for (index, contact) in contacts.prefix(5).enumerated() {
                _ = try tx.enqueue(contactID: contact, channel: "telegram", address: "chat\(index)", payload: "nudge", unprompted: true, at: now)
            }
            _ = try tx.enqueue(contactID: contacts[5], channel: "telegram", address: "chat5", payload: "reply", at: now)
            _ = try tx.enqueue(contactID: contacts[0], channel: "telegram", address: "chat0", payload: "reply", at: now)
            return try tx.dueOutbox(channel: "telegram", now: now, limit: 3)
        }
        #expect(due.map(\.payload) == ["reply", "reply", "nudge"])
        #expect(due.map(\.address) == ["chat5", "chat0", "chat0"])
        let unprompted = try database.readNow { try $0.unpromptedMessages(contactID: due[2].contactID, since: now.addingTimeInterval(-1)) }
        #expect(unprompted.count == 1)
    }

    /// Daemons sharing a database each keep their own per-chat pacing, so the one that sends a chat's next message
    /// asks the database when the chat last got one, whichever daemon sent it.
    @Test func aChatThatJustGotAMessageWaitsForTheIntervalWhoeverSentIt() throws {
        let school = try TestSchool(households: 2)
        let database = school.runtime.database
        let now = TestSchool.start
        let (second, other) = try database.writeNow { tx -> (Int64, Int64) in
            let households = try tx.households().compactMap(\.id)
            let chat = try #require(try tx.insertContact(channel: "telegram", address: "chat0", for: .household(households[0]), session: "{}", at: now).id)
            let otherChat = try #require(try tx.insertContact(channel: "telegram", address: "chat1", for: .household(households[1]), session: "{}", at: now).id)
            let first = try tx.enqueue(contactID: chat, channel: "telegram", address: "chat0", payload: "reminder Sam", unprompted: true, at: now)
            let second = try tx.enqueue(contactID: chat, channel: "telegram", address: "chat0", payload: "reminder Noor", unprompted: true, at: now)
            let other = try tx.enqueue(contactID: otherChat, channel: "telegram", address: "chat1", payload: "reminder", unprompted: true, at: now)
            #expect(try tx.claimOutbox(ids: [first], instance: "the other daemon") == [first])
            try tx.markOutboxSent(id: first, platformMessageID: "101", reportsMayWait: false, at: now)
            return (second, other)
        }
        let halfASecondLater = now.addingTimeInterval(0.5)
        let due = { (sentSince: Date?) in
            try database.readNow { try $0.dueOutbox(channel: "telegram", now: halfASecondLater, limit: 10, sentSince: sentSince) }.compactMap(\.id)
        }
        #expect(try due(halfASecondLater.addingTimeInterval(-1)) == [other], "chat0 got a message half a second ago")
        #expect(try due(now) == [second, other], "not after that moment: free again")
        #expect(try due(nil) == [second, other], "one daemon alone paces its chats itself")
    }
}
