import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// A step may claim its first reply for its caller to send at once. Where daemons share the database (PostgreSQL),
/// another daemon's message to the chat a moment ago is known only from its row, and then the step claims nothing:
/// the reply waits for the channel's sender and the interval between the chat's messages.
@Suite struct ClaimedReplyTests {
    @Test func aStepClaimsItsFirstReplyUnlessAnotherDaemonJustWroteToTheChat() async throws {
        let school = try TestSchool()
        let household = try school.household()
        let service = school.runtime.service
        let oneASecond = ConversationService.ClaimedReplies.first(interval: .seconds(1))
        let opened = try await service.start(channel: .telegram, address: "5550001", platformMessageID: "1", inviteCode: household.code,
                                             languageHint: "nl", claiming: oneASecond)
        let first = try #require(claimed(opened).first, "nothing was sent to this chat before")
        // Sent, as any daemon's sender records it: at the wall clock's time.
        try school.runtime.database.writeNow { try $0.markOutboxSent(id: first.row.id!, platformMessageID: "900", reportsMayWait: false, at: Date()) }

        let next = InboundEvent(channel: .telegram, address: "5550001", platformMessageID: "2", content: .text("hallo"))
        let held = try await service.handle(next, claiming: oneASecond)
        #expect(claimed(held).count == (TestDatabase.isPostgres ? 0 : 1), "one daemon alone leaves the interval to its own pacing")
        #expect(!outboxIDs(held).isEmpty, "the reply is queued all the same")
    }

    private func claimed(_ outcome: ConversationService.Outcome) -> [ConversationService.ClaimedReply] {
        if case .handled(_, _, _, _, let claimed) = outcome { claimed } else { [] }
    }

    private func outboxIDs(_ outcome: ConversationService.Outcome) -> [Int64] {
        if case .handled(_, let ids, _, _, _) = outcome { ids } else { [] }
    }
}
