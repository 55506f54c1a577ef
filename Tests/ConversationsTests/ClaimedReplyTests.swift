import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// A step may claim its first reply for its caller to send at once. Where daemons share the database (PostgreSQL),
/// another daemon's message to the chat a moment ago is known only from its row: the channel's sender then asks the
/// step to look (`unlessSentWithin`), and a step that finds one claims nothing, so the reply waits for the sender and
/// the interval between the chat's messages.
@Suite struct ClaimedReplyTests {
    @Test func aStepClaimsItsFirstReplyUnlessARowSaysTheChatWasJustWrittenTo() async throws {
        let school = try TestSchool()
        let household = try school.household()
        let service = school.runtime.service
        let opened = try await service.start(channel: .telegram, address: "5550001", platformMessageID: "1", inviteCode: household.code,
                                             languageHint: "nl", claiming: .first(unlessSentWithin: .seconds(1)))
        let first = try #require(claimed(opened).first, "nothing was sent to this chat before")
        // Sent, as any daemon's sender records it: at the wall clock's time.
        try school.runtime.database.writeNow { try $0.markOutboxSent(id: first.row.id!, platformMessageID: "900", reportsMayWait: false, at: Date()) }

        let hello = InboundEvent(channel: .telegram, address: "5550001", platformMessageID: "2", content: .text("hallo"))
        let held = try await service.handle(hello, claiming: .first(unlessSentWithin: .seconds(1)))
        #expect(claimed(held).isEmpty, "the row says the chat got a message less than a second ago")
        #expect(!outboxIDs(held).isEmpty, "the reply is queued all the same")

        // One daemon alone leaves the interval to its own pacing and does not ask the rows.
        try school.runtime.database.writeNow { tx in
            for id in outboxIDs(held) { try tx.markOutboxSent(id: id, platformMessageID: "90\(id)", reportsMayWait: false, at: Date()) }
        }
        let again = InboundEvent(channel: .telegram, address: "5550001", platformMessageID: "3", content: .text("hallo"))
        let unchecked = try await service.handle(again, claiming: .first(unlessSentWithin: nil))
        #expect(claimed(unchecked).count == 1)
    }

    private func claimed(_ outcome: ConversationService.Outcome) -> [ConversationService.ClaimedReply] {
        if case .handled(_, _, _, _, let claimed) = outcome { claimed } else { [] }
    }

    private func outboxIDs(_ outcome: ConversationService.Outcome) -> [Int64] {
        if case .handled(_, let ids, _, _, _) = outcome { ids } else { [] }
    }
}
