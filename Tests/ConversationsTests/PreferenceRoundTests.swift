import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// The fair planning round end to end: households rate the blocks by chat (and change their answers), the round closes,
/// staff plan, pin, swap and publish, and every household hears its time in its own language, once.
@Suite struct PreferenceRoundTests {
    /// Answers every block question with `answer` (the first block with `first`), then the wish; returns the blocks asked.
    func answerAll(_ chat: Conversation, first: String, answer: String, wish: String) async throws -> Int {
        var asked = 0
        while let question = chat.lastMessages.last, question.choices.contains(where: { $0.label == answer }) {
            try await chat.press(asked == 0 ? first : answer)
            asked += 1
        }
        try await chat.press(wish)
        return asked
    }

    @Test func aParentRatesTheBlocksByChatAndChangesAnAnswerLater() async throws {
        let school = try TestSchool.preferenceRound()
        let household = try school.household(children: 1)
        let chat = Conversation(school, inviteCode: household.code)
        try await chat.start(language: "nl")
        try await chat.press("Nederlands")
        try await chat.press("Gesprek plannen")
        #expect(chat.transcript.contains { $0.hasPrefix("Dit jaar plannen we alle startgesprekken tegelijk") })
        let question = try #require(chat.lastMessages.last)
        #expect(question.text.contains("(1 van ") && question.text.hasSuffix("Schikt dit moment u?"))
        #expect(question.choices.map(\.label) == ["Goed", "Kan eventueel", "Kan niet", "Terug"])

        let blocks = try await answerAll(chat, first: "Goed", answer: "Kan niet", wish: "Zo vroeg mogelijk")
        #expect(blocks >= 2)
        let thanks = try #require(chat.transcript.first { $0.hasPrefix("Dank u wel! Uw antwoorden:") })
        #expect(thanks.contains(": Goed") && thanks.contains(": Kan niet"))
        var stored = try #require(try school.runtime.database.readNow { try $0.preferences(household: household.id)[household.id] })
        #expect(stored.blocks.count == blocks && stored.wish == "early")
        #expect(stored.blocks.values.filter { $0 == "good" }.count == 1)

        // Again: the first question shows the answer given, a new one replaces it, "back" keeps the rest.
        try await chat.say("menu")
        try await chat.press("Gesprek plannen")
        #expect(chat.lastMessages.last?.text.contains(" – nu: Goed") == true)
        try await chat.press("Kan eventueel")
        try await chat.press("Terug")
        stored = try #require(try school.runtime.database.readNow { try $0.preferences(household: household.id)[household.id] })
        #expect(stored.blocks.values.filter { $0 == "good" }.isEmpty && stored.blocks.values.filter { $0 == "possible" }.count == 1)
        #expect(stored.blocks.count == blocks)
    }

    @Test func afterTheRoundClosesAnswersAreRefusedKindlyAndBookingWaitsForThePlan() async throws {
        let school = try TestSchool.preferenceRound()
        let chat = Conversation(school, inviteCode: try school.household().code)
        try await chat.start(language: "en")
        try await chat.press("English")
        try await chat.press("Plan a talk")
        school.clock.advance(by: 3 * 86_400)  // the round closed while the question was open
        try await chat.press("Good")
        #expect(chat.transcript.contains { $0.hasPrefix("Preferences can no longer be given: planning closed on") })
        try await chat.press("Plan a talk")
        #expect(chat.transcript.contains { $0.hasPrefix("All talks are now being planned from the parents' preferences.") })
        #expect(try school.runtime.database.readNow { try $0.preferences() }.isEmpty)
    }

    @Test func householdsWithoutAnswersAreRemindedTwiceAndTheRoundIsPlannedWhenItCloses() async throws {
        // Monday and Tuesday at 14:00; the round closes on Wednesday at 10:00.
        let school = try TestSchool.preferenceRound(households: 8, nudges: [TestSchool.start + 4 * 3600, TestSchool.start + 28 * 3600])
        let service = school.runtime.service
        try await service.planSchoolJobs()
        try await service.planSchoolJobs()   // every start plans again: nothing twice
        func jobs(_ status: String) throws -> [JobRecord] { try school.runtime.database.readNow { try $0.jobs(status: status, limit: 1000) } }
        let nudges = try jobs("pending").filter { $0.kind == "nudge" }.sorted { $0.dueAt < $1.dueAt }
        let planning = try jobs("pending").filter { $0.kind == "round_plan" }
        #expect(nudges.count == 2 && planning.count == 1)
        #expect(planning.first?.dueAt == school.runtime.school.booking.closes)

        let households = try school.runtime.database.readNow { try $0.households() }
        func chat(_ index: Int, _ language: String, _ name: String) async throws -> Conversation {
            let chat = Conversation(school, inviteCode: households[index].inviteCode)
            try await chat.start(language: language)
            try await chat.press(name)
            return chat
        }
        let answered = try await chat(0, "nl", "Nederlands")
        try await answered.press("Gesprek plannen")
        _ = try await answerAll(answered, first: "Goed", answer: "Kan eventueel", wish: "Maakt niet uit")
        let silent = try await chat(1, "nl", "Nederlands")
        let arabic = try await chat(2, "ar", "العربية")
        for chat in [answered, silent, arabic] { try await chat.receive() }
        // Staff cannot add a third reminder.
        guard case .failure(let refusal) = try await service.nudge(group: school.runtime.school.groups[0].id, by: "office") else {
            Issue.record("a third reminder was planned"); return
        }
        #expect(refusal.description.contains("two reminders"))

        func isReminder(_ message: OutboundMessage) -> Bool {
            message.text.hasPrefix("We hebben nog geen voorkeuren van u ontvangen") || message.text.hasPrefix("لم نستلم بعد تفضيلاتكم")
        }
        for nudge in nudges {
            school.clock.set(nudge.dueAt)
            _ = try await service.runDueJobs()
            #expect(!(try await answered.receive().contains(where: isReminder)))
            let reminder = try #require(try await arabic.receive().first(where: isReminder))
            #expect(reminder.rightToLeft && reminder.choices.count == 1)
            #expect(try await silent.receive().filter(isReminder).count == 1)
        }
        // Reminded twice, the household answers from the last reminder's button.
        try await silent.press("Gesprek plannen")
        #expect(silent.lastMessages.last?.text.hasSuffix("Schikt dit moment u?") == true)

        // When the round closes the daemon plans it: staff find a proposal, and nobody is told anything yet.
        let outboxBefore = try school.runtime.database.readNow { try $0.outboxCount() }
        school.clock.set(school.runtime.school.booking.closes)
        _ = try await service.runDueJobs()
        let proposal = try #require(try await service.roundProposal())
        #expect(proposal.round.publishedAt == nil && !proposal.talks.isEmpty && proposal.talks.allSatisfy { $0.slotID != nil })
        #expect(try school.runtime.database.readNow { try $0.outboxCount() } == outboxBefore)
        #expect(try jobs("done").contains { $0.kind == "round_plan" && $0.note?.hasPrefix("planned: ") == true })
    }

    @Test func aRoundPlannedByStaffAfterItClosedIsNotReplannedByTheDaemon() async throws {
        let school = try TestSchool.preferenceRound(households: 6)
        let service = school.runtime.service
        try await service.planSchoolJobs()
        // The daemon was down when the round closed; staff planned and pinned a talk meanwhile.
        school.clock.set(school.runtime.school.booking.closes + 3600)
        guard case .success(let talks) = try await service.proposeRound(by: "office") else { Issue.record("no plan"); return }
        let pinned = try #require(talks.first)
        guard case .success = try await service.pinTalks([(pinned.scope, try #require(pinned.slotID))], by: "office") else { Issue.record("not pinned"); return }
        let before = try #require(try await service.roundProposal())
        _ = try await service.runDueJobs()
        #expect(try await service.roundProposal()?.talks == before.talks)
        let skipped = try school.runtime.database.readNow { try $0.jobs(status: "skipped", limit: 1000) }.filter { $0.kind == "round_plan" }
        #expect(skipped.map(\.note) == ["staff planned the round already"])
    }

    @Test func staffPlanPinSwapAndPublishOnceAndEveryHouseholdHearsInItsLanguage() async throws {
        let school = try TestSchool.preferenceRound(households: 24)
        let service = school.runtime.service
        // An Arabic-speaking household answers by chat: only the first block suits it.
        let arabic = try school.household(children: 1)
        let chat = Conversation(school, inviteCode: arabic.code)
        try await chat.start(language: "ar")
        try await chat.press("العربية")
        try await chat.say("1")  // the menu's first choice: plan a talk
        _ = try await answerAll(chat, first: "يناسبني", answer: "لا يناسبني", wish: "لا يهم")
        let answers = try #require(try school.runtime.database.readNow { try $0.preferences(household: arabic.id)[arabic.id] })

        // Too early: the households may still change their answers.
        guard case .failure(.stillOpen) = try await service.proposeRound(by: "office") else { Issue.record("planned while open"); return }
        school.clock.advance(by: 2 * 86_400 + 60)
        guard case .failure(.notPlanned) = try await service.publishRound(by: "office") else { Issue.record("published without a plan"); return }
        guard case .success(let talks) = try await service.proposeRound(by: "office") else { Issue.record("no plan"); return }
        let slots = try school.runtime.database.readNow { tx in try talks.compactMap(\.slotID).map { try #require(try tx.slot(id: $0)) } }
        #expect(Set(slots.compactMap(\.id)).count == slots.count, "a time given twice")
        #expect(talks.allSatisfy { $0.slotID != nil }, "\(talks.filter { $0.slotID == nil }.map { "\($0.scope): \($0.reason ?? "")" })")
        // The Arabic household's talk is in the block it called good.
        let own = try #require(talks.first { $0.householdID == arabic.id })
        let ownSlot = try #require(slots.first { $0.id == own.slotID })
        let block = school.runtime.school.preferenceBlockID(start: ownSlot.startsAt, kind: try #require(BlockKind(rawValue: ownSlot.kind)))
        #expect(answers.blocks[block] == "good" && own.level == "good")

        // Swap two talks of the same group: both are pinned and stay so when planned again.
        let groups = try school.runtime.database.readNow { tx in try talks.map { try tx.child(id: $0.childID)?.groupID } }
        let pair = try #require(talks.indices.first { i in talks.indices.contains { j in j != i && groups[j] == groups[i] && talks[j].householdID != arabic.id && talks[i].householdID != arabic.id } })
        let partner = try #require(talks.indices.first { $0 != pair && groups[$0] == groups[pair] && talks[$0].householdID != arabic.id })
        let (a, b) = (talks[pair], talks[partner])
        guard case .success(let swapped) = try await service.pinTalks([(a.scope, b.slotID!), (b.scope, a.slotID!)], by: "office") else {
            Issue.record("swap refused"); return
        }
        #expect(swapped.first { $0.scope == a.scope }?.slotID == b.slotID && swapped.first { $0.scope == b.scope }?.slotID == a.slotID)
        #expect(swapped.filter(\.pinned).count == 2)
        guard case .success(let replanned) = try await service.proposeRound(by: "office") else { Issue.record("no plan"); return }
        #expect(replanned.first { $0.scope == a.scope }?.slotID == b.slotID)
        // A time of another group's teacher is refused.
        let otherGroupSlot = try #require(replanned.first { groups[talks.firstIndex(of: $0) ?? 0] != groups[pair] && $0.slotID != nil }?.slotID)
        if case .success = try await service.pinTalks([(a.scope, otherGroupSlot)], by: "office") { Issue.record("pinned to another group's teacher") }

        let outboxBefore = try school.runtime.database.readNow { try $0.outboxCount() }
        guard case .success(let report) = try await service.publishRound(by: "office") else { Issue.record("not published"); return }
        #expect(report.booked == replanned.count && report.unplaced == 0)
        #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == replanned.count)
        let told = try await chat.receive()
        let published = try #require(told.first)
        #expect(published.rightToLeft && published.text.hasPrefix("تم تحديد موعد محادثة بداية السنة") && published.text.contains("/ics/"))
        // Publishing again books and sends nothing.
        let outboxAfter = try school.runtime.database.readNow { try $0.outboxCount() }
        #expect(outboxAfter > outboxBefore)
        guard case .failure(.published) = try await service.publishRound(by: "office") else { Issue.record("published twice"); return }
        guard case .failure(.published) = try await service.proposeRound(by: "office") else { Issue.record("planned after publishing"); return }
        #expect(try school.runtime.database.readNow { try $0.outboxCount() } == outboxAfter)
        // The outcomes are kept for the next round's fairness.
        let outcomes = try school.runtime.database.readNow { try $0.previousOutcomes(before: "9999") }
        #expect(outcomes[arabic.id] == "good" && outcomes.values.contains("unanswered"))

        // From now on the parent moves the talk as in first come, first served.
        try await chat.say("1")
        #expect(chat.lastMessages.last?.choices.isEmpty == false)
    }

    @Test func separatedParentsWithAJointTalkAreBothToldTheOneTime() async throws {
        let school = try TestSchool.preferenceRound(households: 60, separated: .jointTalk)
        school.clock.advance(by: 2 * 86_400 + 60)
        guard case .success(let talks) = try await school.runtime.service.proposeRound(by: "office") else { Issue.record("no plan"); return }
        let joint = try school.runtime.database.readNow { tx in try talks.filter { try tx.households(ofChild: $0.childID).count == 2 } }
        #expect(!joint.isEmpty && joint.allSatisfy { $0.scope == "child:\($0.childID)" })
        guard case .success = try await school.runtime.service.publishRound(by: "office") else { Issue.record("not published"); return }
        for talk in joint {
            let attending = try school.runtime.database.readNow { tx in try tx.activeBookings(child: talk.childID).flatMap { try tx.attendees(booking: $0.bookingID) } }
            #expect(Set(attending).count == 2)
        }
    }
}
