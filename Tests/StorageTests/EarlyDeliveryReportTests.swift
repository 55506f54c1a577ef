import Foundation
import Storage
import Testing
import TestSupport

/// A platform's status callback can overtake the answer to the send it reports on (WhatsApp posts "sent" or "failed"
/// while our sender is still recording the batch); such a report waits and is applied when the id is recorded.
@Suite struct EarlyDeliveryReportTests {
    @Test func aReportThatCameBeforeItsIDWasRecordedIsAppliedThen() throws {
        let school = try TestSchool(households: 3)
        let database = school.runtime.database
        let now = TestSchool.start
        let (failing, reading) = try database.writeNow { tx -> (Int64, Int64) in
            let household = try #require(try tx.households().first?.id)
            let contact = try #require(try tx.insertContact(channel: "whatsapp", address: "31612345678", for: .household(household), session: "{}", at: now).id)
            let first = try tx.enqueue(contactID: contact, channel: "whatsapp", address: "31612345678", payload: "one", at: now)
            let second = try tx.enqueue(contactID: contact, channel: "whatsapp", address: "31612345678", payload: "two", at: now)
            #expect(try tx.claimOutbox(ids: [first, second], instance: "test") == [first, second])
            return (first, second)
        }
        // The callbacks arrive while both rows are still being sent: nothing to apply them to yet.
        let found = try database.writeNow { tx in
            [try tx.recordDeliveryReport(channel: "whatsapp", platformMessageID: "wamid.ONE", .failed("WhatsApp: Message undeliverable"), at: now),
             try tx.recordDeliveryReport(channel: "whatsapp", platformMessageID: "wamid.TWO", .receipt("read"), at: now),
             try tx.recordDeliveryReport(channel: "whatsapp", platformMessageID: "wamid.TWO", .receipt("delivered"), at: now),
             try tx.recordDeliveryReport(channel: "whatsapp", platformMessageID: "wamid.NOT-OURS", .receipt("sent"), at: now)]
        }
        #expect(found == [false, false, false, false])
        try database.writeNow { tx in
            try tx.markOutboxSent(id: failing, platformMessageID: "wamid.ONE", at: now + 1)
            try tx.markOutboxSent(id: reading, platformMessageID: "wamid.TWO", at: now + 1)
        }
        let rows = try database.readNow { try $0.outbox(channel: "whatsapp", address: "31612345678", after: 0) }
        #expect(rows.map(\.status) == ["failed", "sent"])
        #expect(rows[0].lastError == "WhatsApp: Message undeliverable")
        #expect(rows[1].receipt == "read")   // "delivered" came after "read" and does not move it back

        // Applied once: a report repeated by the platform now finds its row; one that never became ours goes with
        // the old messages.
        let later = try database.writeNow { tx in
            let repeated = try tx.recordDeliveryReport(channel: "whatsapp", platformMessageID: "wamid.TWO", .receipt("read"), at: now + 2)
            _ = try tx.purgeMessages(before: now + 3)
            return (repeated, try tx.recordDeliveryReport(channel: "whatsapp", platformMessageID: "wamid.NOT-OURS", .receipt("sent"), at: now + 4))
        }
        #expect(later == (true, false))
        #expect(try database.readNow { try $0.earlyDeliveryReportCount() } == 1)   // only the one just repeated, not yet old
    }
}
