import Conversations
import Dialogue
import Foundation
import SamenspraakCore
import Storage
import Synchronization
import Testing
import TestSupport

/// Two daemons on one PostgreSQL schema, a new chat reaching both at once (a parent tapping the invitation link twice,
/// or one update delivered to both): the one that commits second meets the other's binding as a unique violation.
@Suite struct SharedChatBindingTests {
    @Test(.enabled(if: TestDatabase.isPostgres, "two daemons share a database only on PostgreSQL"), .timeLimit(.minutes(1)))
    func theDaemonThatBindsSecondAnswersAsWell() async throws {
        let first = try TestSchool()
        let second = try first.restarted()   // another daemon on the same schema
        let household = try first.household()
        let inserted = Atomic(false), released = Atomic(false)
        // The first daemon binds the chat in a transaction it keeps open for a moment …
        let binding = Task {
            try await first.runtime.database.write { tx in
                _ = try tx.insertContact(channel: "telegram", address: "5550001", for: .household(household.id), session: Session().json, at: Date())
                inserted.store(true, ordering: .sequentiallyConsistent)
                for _ in 0..<250 where !released.load(ordering: .sequentiallyConsistent) { Thread.sleep(forTimeInterval: 0.02) }
            }
        }
        try await waitUntil { inserted.load(ordering: .sequentiallyConsistent) }
        // … while the second handles the chat's /start: its insert waits for the first's commit, and is then refused.
        let event = InboundEvent(channel: .telegram, address: "5550001", platformMessageID: "1", content: .text("/start \(household.code)"))
        let handling = Task { try await second.runtime.service.handle(event, inviteCode: household.code) }
        try await Task.sleep(for: .milliseconds(300))
        released.store(true, ordering: .sequentiallyConsistent)
        try await binding.value

        let outcome = try await handling.value
        guard case .handled(_, let replies, _, _, _) = outcome else { Issue.record("not handled: \(outcome)"); return }
        #expect(!replies.isEmpty, "the parent got an answer, not an error")
        #expect(try second.runtime.database.readNow { try $0.contact(channel: "telegram", address: "5550001")?.invitee } == .household(household.id))
    }
}
