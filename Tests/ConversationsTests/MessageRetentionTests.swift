import App
import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// Retention: messages older than the period are deleted in small batches, newer ones and those still in flight stay,
/// and conversations going on meanwhile lose nothing.
@Suite struct MessageRetentionTests {
    static let day: TimeInterval = 24 * 3600

    /// Marks everything queued for the chat so far as sent, as a delivering channel would.
    func deliver(_ chat: Conversation, _ school: TestSchool) async throws {
        let address = chat.address
        try await school.runtime.database.write { tx in
            try tx.markSent(outboxIDs: try tx.outbox(channel: "terminal", address: address, after: 0).compactMap(\.id), at: Date())
        }
    }

    func contactID(_ chat: Conversation, _ school: TestSchool) throws -> Int64 {
        let address = chat.address
        return try #require(try school.runtime.database.readNow { try $0.contact(channel: "terminal", address: address) }?.id)
    }

    func rows(_ table: String, of contact: Int64, in school: TestSchool) throws -> [[String: SQLValue]] {
        try StoredRows(database: school.runtime.database).tables[table, default: []].filter { $0["contactid"] == .integer(contact) }
    }

    @Test func messagesOlderThanThePeriodGoWhileNewerAndUndeliveredOnesStay() async throws {
        let school = try TestSchool()
        let database = school.runtime.database
        let codes = try database.readNow { try $0.households().map(\.inviteCode) }
        let old = Conversation(school, inviteCode: codes[0])
        try await old.start(language: "nl")
        try await old.press("Nederlands")
        try await old.say("help")
        try await deliver(old, school)
        let oldContact = try contactID(old, school)
        // Still in flight a month later: a message waiting to be sent, one being sent, and an update stored but not handled.
        let (waiting, sending) = try await database.write { tx in
            let waiting = try tx.enqueue(contactID: oldContact, channel: "terminal", address: old.address, payload: "{}", at: school.clock.now())
            let sending = try tx.enqueue(contactID: oldContact, channel: "terminal", address: old.address, payload: "{}", at: school.clock.now())
            _ = try tx.claimOutbox(ids: [sending], instance: "test")
            try tx.storeReceived(channel: "telegram", messages: [("1", "{}")], at: school.clock.now())
            return (waiting, sending)
        }
        let oldInbox = try rows("inbox", of: oldContact, in: school).count
        let oldSent = try rows("outbox", of: oldContact, in: school).count - 2

        school.clock.advance(by: 40 * Self.day)
        let recent = Conversation(school, inviteCode: codes[1])
        try await recent.start(language: "nl")
        try await recent.press("Nederlands")
        try await deliver(recent, school)
        let recentContact = try contactID(recent, school)
        let recentRows = (try rows("inbox", of: recentContact, in: school), try rows("outbox", of: recentContact, in: school))

        let cutoff = Retention.days(30).cutoff(now: school.clock.now(), school: school.runtime.school)
        let expected = MessageCounts(inbox: oldInbox, outbox: oldSent)
        #expect(oldInbox >= 3 && oldSent >= 3)
        #expect(try database.readNow { try $0.purgeableMessages(before: cutoff) } == expected)
        #expect(try await MessagePurge.run(database: database, before: cutoff, actor: "test", now: school.clock.now(), batchSize: 2) == expected)

        #expect(try rows("inbox", of: oldContact, in: school).isEmpty)
        #expect(try rows("outbox", of: oldContact, in: school).map { $0["id"] } == [.integer(waiting), .integer(sending)])
        #expect(try database.readNow { try $0.unprocessedInbox(channel: "telegram") }.map(\.platformMessageID) == ["1"])
        #expect(try rows("inbox", of: recentContact, in: school) == recentRows.0)
        #expect(try rows("outbox", of: recentContact, in: school) == recentRows.1)
        // Twice is once: the second purge finds nothing; each purge is in the audit log.
        #expect(try await MessagePurge.run(database: database, before: cutoff, actor: "test", now: school.clock.now()) == MessageCounts())
        #expect(try database.readNow { try $0.auditLog(limit: 10) }.filter { $0.action == "purge messages" }.count == 2)
        // The old chat goes on where it was.
        #expect(try await old.say("menu").first?.text.isEmpty == false)
    }

    @Test func purgingWhileParentsTalkLosesNoAcceptedMessage() async throws {
        let school = try TestSchool()
        let database = school.runtime.database
        let codes = try database.readNow { try $0.households().map(\.inviteCode) }
        for code in codes.prefix(10) {
            let chat = Conversation(school, inviteCode: code)
            try await chat.start(language: "nl")
            try await chat.press("Nederlands")
            for _ in 0..<5 { try await chat.say("help") }
            try await deliver(chat, school)
        }
        school.clock.advance(by: 40 * Self.day)
        let cutoff = Retention.days(30).cutoff(now: school.clock.now(), school: school.runtime.school)
        let old = try database.readNow { try $0.purgeableMessages(before: cutoff) }
        #expect(old.total > 100)

        // Fifteen parents talk while the purge deletes the old messages three at a time.
        let chats = codes[10..<25].map { Conversation(school, inviteCode: $0) }
        let purged = try await withThrowingTaskGroup(of: MessageCounts?.self) { group in
            group.addTask { try await MessagePurge.run(database: database, before: cutoff, actor: "test", now: school.clock.now(), batchSize: 3) }
            for chat in chats {
                group.addTask {
                    try await chat.start(language: "nl")
                    try await chat.press("Nederlands")
                    for _ in 0..<3 { try await chat.say("menu") }
                    return nil
                }
            }
            var purged = MessageCounts()
            for try await result in group { if let result { purged = result } }
            return purged
        }
        #expect(purged == old)
        #expect(try database.readNow { try $0.purgeableMessages(before: Date.distantFuture) }.inbox == 15 * 5)
        for chat in chats {
            let contact = try contactID(chat, school)
            let received = chat.transcript.filter { !$0.hasPrefix("> ") && !$0.hasPrefix("  ") }.count
            #expect(try rows("inbox", of: contact, in: school).count == 5)
            #expect(try rows("outbox", of: contact, in: school).count == received && received >= 5)
        }
    }
}
