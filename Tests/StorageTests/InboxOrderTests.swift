import Foundation
import Storage
import Testing
import TestSupport

/// A long poll stores a batch of updates while they are already being handled, so the store and the handling commit
/// in either order; either way each update is one inbox row, handled once, and never left for the next start.
@Suite struct InboxOrderTests {
    @Test func storedAfterOrBeforeItsHandlingAnUpdateIsHandledOnce() throws {
        let school = try TestSchool(households: 1)
        let database = school.runtime.database
        let now = TestSchool.start
        let batch = [("update:1", #"{"update_id":1}"#), ("update:2", #"{"update_id":2}"#), ("update:3", #"{"update_id":3}"#),
                     ("update:4", #"{"update_id":4}"#)]
        try database.writeNow { tx in
            // Handled before the store: a step (1) and an update that needs none (2, an edited message).
            #expect(try tx.recordInbound(channel: "telegram", platformMessageID: "update:1", contactID: nil, text: "hoi", at: now))
            try tx.markProcessed(channel: "telegram", platformMessageID: "update:2", at: now)
            try tx.storeReceived(channel: "telegram", messages: batch, at: now)
            // Handled after it: a step (3) and one that needs none (4).
            #expect(try tx.recordInbound(channel: "telegram", platformMessageID: "update:3", contactID: nil, text: "hoi", at: now))
            try tx.markProcessed(channel: "telegram", platformMessageID: "update:4", at: now)
        }
        #expect(try database.readNow { try $0.unprocessedInbox(channel: "telegram") }.isEmpty, "nothing left for the next start")
        // The same updates handed out again (the offset was not confirmed yet): no step runs twice.
        try database.writeNow { tx in
            for id in ["update:1", "update:3"] {
                #expect(try !tx.recordInbound(channel: "telegram", platformMessageID: id, contactID: nil, text: "hoi", at: now))
            }
            try tx.storeReceived(channel: "telegram", messages: batch, at: now)
        }
        #expect(try database.readNow { try $0.unprocessedInbox(channel: "telegram") }.isEmpty)
    }
}
