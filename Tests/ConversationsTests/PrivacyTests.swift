import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// A family's rights over its data: an export holds everything stored about the household; erasing removes messages,
/// answers, chats and guardians, keeps the talks as counts, and makes the old invite and calendar links useless.
@Suite struct PrivacyTests {
    @Test func aHouseholdIsExportedWholeAndErasedWithoutChangingTheCounts() async throws {
        let school = try TestSchool()
        let service = school.runtime.service
        let household = try school.household()
        let chat = Conversation(school, inviteCode: household.code)
        try await chat.start(language: "nl")
        try await chat.press("Nederlands")
        try await chat.bookFirstFreeTime()
        try await chat.press("Ja, nu")
        try await chat.say("Hij houdt van dino's")
        let talk = try #require(try school.runtime.database.readNow { try $0.activeBookings(household: household.id) }.first)
        _ = try await service.saveAgreement(AgreementDraft(childID: talk.childID, teacherID: talk.teacherID, who: "teacher", what: "Bellen",
                                                           why: "Even bijpraten", when: "early june", how: "phone")).get()
        _ = try await service.runDueJobs()
        let agreement = try #require(try await chat.receive().first { $0.text.hasPrefix("Dit is afgesproken") })
        try await chat.press("Klopt", in: agreement)
        let key = try #require(try school.runtime.database.readNow { try $0.household(id: household.id) }).key

        let export = try #require(try school.runtime.database.readNow { tx in try tx.household(key: key).map { try tx.export(household: $0) } })
        #expect(export.household == key && !export.guardians.isEmpty && export.chats.count == 1 && export.talks.count == 1)
        #expect(export.preTalkAnswers.map(\.answer) == ["Hij houdt van dino's"])
        #expect(export.agreements.map(\.response) == ["matches"])
        #expect(export.messages.contains { $0.direction == "from the family" && $0.text == "Hij houdt van dino's" })
        #expect(export.messages.contains { $0.direction == "to the family" && $0.text.hasPrefix("Gepland!") })

        let booked = try await service.coverage().map(\.booked)
        let report = try school.runtime.database.writeNow { tx in
            try tx.erase(household: try #require(try tx.household(key: key)), makeInviteCode: InviteCode.generate)
        }
        #expect(report.chats == 1 && report.messages > 10 && report.answers == 2)
        let after = try #require(try school.runtime.database.readNow { tx in try tx.household(key: key).map { try tx.export(household: $0) } })
        #expect(after.guardians.isEmpty && after.chats.isEmpty && after.messages.isEmpty && after.preTalkAnswers.isEmpty)
        #expect(after.agreements.allSatisfy { $0.response == nil })
        #expect(try await service.coverage().map(\.booked) == booked)   // the talk still counts
        #expect(try school.runtime.database.readNow { try $0.activeBooking(icsToken: talk.icsToken) } == nil)
        // The invitation letter's link no longer opens the family's conversation.
        let outcome = try await service.start(channel: .webchat, address: "someone-else", platformMessageID: UUID().uuidString,
                                              inviteCode: household.code, languageHint: nil)
        #expect(outcome == .unknownSender)
    }
}
