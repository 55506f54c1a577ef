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
}
