import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// The nieuwjaarsreceptie with a movable clock: invitations per household of the group, answers by button (with how
/// many people, changeable until it starts) that plan and remove the reminder in their transaction, one nudge, word
/// when it moves or is cancelled in the school file, the teacher's overview, and the buddy question afterwards.
@Suite struct ReceptionTests {
    /// A parent chat in `language` for a household with a child in group g1.
    func parent(_ school: TestSchool, language: String, skip: Int = 0) async throws -> (Conversation, Int64) {
        let households = try school.runtime.database.readNow { try $0.households(ofGroup: "g1") }
        let id = households[skip]
        let code = try #require(try school.runtime.database.readNow { try $0.household(id: id) }).inviteCode
        let chat = Conversation(school, inviteCode: code)
        try await chat.start(language: language)
        try await chat.press(school.runtime.service.localizer.languageName(language))
        try await chat.receive()
        return (chat, id)
    }

    func pending(_ school: TestSchool, kind: String, reception: String = "g1-receptie") throws -> [JobRecord] {
        try school.runtime.database.readNow { try $0.pendingJobs(keyPrefix: "reception:\(reception):") }.filter { $0.kind == kind }
    }

    /// Moves the clock to when the invitations of `reception` go out (two weeks before, out of quiet hours) and runs them.
    func sendInvitations(_ school: TestSchool, reception: String = "g1-receptie") async throws {
        let invitations = try pending(school, kind: "reception_invite", reception: reception)
        let due = try #require(invitations.map(\.dueAt).min())
        school.clock.set(due)
        _ = try await school.runtime.service.runDueJobs()
    }

    @Test func parentsAnswerTheInvitationAndTheReminderFollowsTheirAnswer() async throws {
        for language in ["nl", "ar"] {
            let school = try TestSchool()
            let service = school.runtime.service
            let (chat, household) = try await parent(school, language: language)
            try await service.planSchoolJobs()
            let invitations = try pending(school, kind: "reception_invite")
            #expect(invitations.map(\.householdID) == [household])   // only households with a chat
            // Two weeks before Monday 14 December, 14:00.
            #expect(invitations.first?.dueAt == SchoolDay("2026-11-30")!.at(minuteOfDay: 14 * 60, in: school.runtime.school.calendar))
            try await sendInvitations(school)
            let invitation = try #require(try await chat.receive().first)
            try await chat.press(invitation.choices[0].label, in: invitation)   // yes
            try await chat.say("2")                                            // two people
            try await chat.press(invitation.choices[1].label, in: invitation)   // maybe after all
            try GoldenTranscripts.compare(chat.transcript.map { $0.replacing(/\/ics\/[0-9a-f]{32}\.ics/, with: "/ics/<token>.ics") }, with: "reception-\(language)")

            let answers = try school.runtime.database.readNow { try $0.receptionAnswers(id: "g1-receptie") }
            #expect(answers[household]?.answer == "maybe")
            let reminder = try #require(try pending(school, kind: "reception_reminder").first)
            // The school day before (Sunday is quiet), at the reception's time of day.
            #expect(reminder.dueAt == SchoolDay("2026-12-11")!.at(minuteOfDay: 14 * 60, in: school.runtime.school.calendar))
            try await chat.press(invitation.choices[2].label, in: invitation)   // no
            #expect(try pending(school, kind: "reception_reminder").isEmpty)
            // Maybe again, then "stop": the reminder goes with it in the same step, and comes back with "start".
            try await chat.press(invitation.choices[1].label, in: invitation)
            try await chat.say(language == "nl" ? "stop" : "إيقاف")
            #expect(try pending(school, kind: "reception_reminder").isEmpty)
            try await chat.say(language == "nl" ? "start" : "استئناف")
            #expect(try pending(school, kind: "reception_reminder").count == 1)
        }
    }

    @Test func theTeacherSeesWhoIsComingAndTheirLanguagesAndLaterParentsAreAskedAboutBuddies() async throws {
        let school = try TestSchool()
        let service = school.runtime.service
        let (dutch, dutchHousehold) = try await parent(school, language: "nl")
        let (arabic, _) = try await parent(school, language: "ar", skip: 1)
        try await service.planSchoolJobs()
        try await sendInvitations(school)
        let invitation = try #require(try await dutch.receive().first)
        try await dutch.press("Ja, ik kom", in: invitation)
        try await dutch.press("3 personen")
        let other = try #require(try await arabic.receive().first)
        #expect(other.rightToLeft)

        // Three days before, the household that did not answer gets one nudge; the other does not.
        let nudge = try #require(try pending(school, kind: "reception_nudge").first)
        school.clock.set(nudge.dueAt)
        _ = try await service.runDueJobs()
        // (A household with children in two groups is invited to both receptions; only Groep 1/2's count here.)
        #expect(!(try await dutch.receive().contains { $0.text.hasPrefix("Komt u naar de nieuwjaarsreceptie van Groep 1/2") }))
        let nudged = try await arabic.receive().filter { $0.text.contains("Groep 1/2") }
        #expect(nudged.count == 1 && nudged[0].choices.count == 3)
        try await arabic.press(nudged[0].choices[1].label, in: nudged[0])   // maybe

        let teacher = try #require(school.runtime.school.teachers(ofGroup: "g1").first)
        let code = try #require(try school.runtime.staffInvites(now: school.clock.now()).first { $0.teacher.id == teacher.id }).code
        let teacherChat = Conversation(school, inviteCode: code)
        try await teacherChat.start()
        try await teacherChat.say("receptie")
        let overview = try #require(teacherChat.lastMessages.first?.text)
        #expect(overview.hasPrefix("Nieuwjaarsreceptie:\nGroep 1/2, maandag 14 december 14:00: 1 × ja (3 personen), 1 × misschien, 0 × nee,"))
        #expect(overview.contains("Talen van wie (misschien) komt: ") && overview.contains("Nederlands 1") && overview.contains("العربية 1"))

        // The day after, those who came (or might have) are asked about buddies; the answer is kept for the school.
        // This household had two invitations, a reminder and a nudge: the weekly limit holds the question back a few days.
        let after = try #require(try pending(school, kind: "reception_after").first { $0.householdID == dutchHousehold })
        #expect(after.dueAt == SchoolDay("2026-12-15")!.at(minuteOfDay: 15 * 60 + 30, in: school.runtime.school.calendar))
        school.clock.set(after.dueAt)
        #expect(try await service.runDueJobs().postponed >= 1)
        school.clock.set(SchoolDay("2026-12-21")!.at(minuteOfDay: 10 * 60, in: school.runtime.school.calendar))
        _ = try await service.runDueJobs()
        let question = try #require(try await dutch.receive().last)
        #expect(question.choices.map(\.label) == ["Ik wil graag een buddy", "Ik wil buddy zijn", "Nee, dank u"])
        try await dutch.press("Ik wil buddy zijn", in: question)
        #expect(dutch.lastMessages.first?.text.hasPrefix("In welke talen kunt u een andere ouder helpen?") == true)   // on to offering help
        #expect(try school.runtime.database.readNow { try $0.buddyInterests() }.map(\.interest) == ["offers"])
        #expect(try await service.receptionOverview().first { $0.id == "g1-receptie" }.map { ($0.offerBuddy, $0.wantBuddy) } ?? (0, 0) == (1, 0))
        try await dutch.press("Ja, ik kom", in: invitation)   // too late to change
        #expect(dutch.lastMessages.map(\.text) == ["De receptie is al begonnen of voorbij; aanpassen kan niet meer."])
    }

    @Test func aMovedOrCancelledReceptionIsToldToThoseComingAndSeparatedParentsAnswerApart() async throws {
        let school = try TestSchool()
        // A child of separated parents: two households, each invited and answering for itself.
        let (separated, group) = try school.runtime.database.readNow { tx -> ([Int64], String) in
            for household in try tx.households() {
                for child in try tx.children(household: household.id ?? 0) where try tx.households(ofChild: child.id).count == 2 {
                    return (try tx.households(ofChild: child.id), child.groupID)
                }
            }
            return ([], "")
        }
        try #require(separated.count == 2)
        let reception = "\(group)-receptie"
        var chats: [Conversation] = []
        for household in separated {
            let code = try #require(try school.runtime.database.readNow { try $0.household(id: household) }).inviteCode
            let chat = Conversation(school, inviteCode: code)
            try await chat.start(language: "nl")
            try await chat.press("Nederlands")
            try await chat.receive()
            chats.append(chat)
        }
        let service = school.runtime.service
        try await service.planSchoolJobs()
        try await sendInvitations(school, reception: reception)
        let invitations = try await chats.asyncMap { try #require(try await $0.receive().first) }
        try await chats[0].press("Ja, ik kom", in: invitations[0])
        try await chats[0].press("1 persoon")
        try await chats[1].press("Nee, helaas niet", in: invitations[1])
        let answers = try school.runtime.database.readNow { try $0.receptionAnswers(id: reception) }
        #expect(answers[separated[0]]?.answer == "yes" && answers[separated[1]]?.answer == "no")

        // Staff move it an hour later in the school file: only the household coming hears, and its reminder moves.
        let yaml = school.directory.url.appendingPathComponent("school.yaml")
        let text = try String(contentsOf: yaml, encoding: .utf8)
        let line = "  - { id: \(reception), group: \(group), date: 2026-12-15, from: \"15:00\", to: \"16:00\", place: \"Aula\" }"
        try text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.contains("id: \(reception),") ? Substring(line) : $0 }
            .joined(separator: "\n").write(to: yaml, atomically: true, encoding: .utf8)
        let name = try #require(school.runtime.school.group(group)).name
        var restarted = try school.restarted()
        try await restarted.runtime.service.planSchoolJobs()
        _ = try await restarted.runtime.service.runDueJobs()
        #expect(try await chats[0].receive().map(\.text).first?.hasPrefix("Let op: de nieuwjaarsreceptie van \(name) is verplaatst naar dinsdag 15 december, van 15:00 tot 16:00 in Aula") == true)
        #expect(try await chats[1].receive().isEmpty)
        #expect(try pending(school, kind: "reception_reminder", reception: reception).map(\.dueAt)
                == [SchoolDay("2026-12-14")!.at(minuteOfDay: 15 * 60, in: school.runtime.school.calendar)])

        // Then removed from the school file: cancelled, the household coming is told, and nothing more is planned.
        let moved = try String(contentsOf: yaml, encoding: .utf8)
        try moved.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("id: \(reception),") }.joined(separator: "\n")
            .write(to: yaml, atomically: true, encoding: .utf8)
        restarted = try school.restarted()
        try await restarted.runtime.service.planSchoolJobs()
        _ = try await restarted.runtime.service.runDueJobs()
        #expect(try await chats[0].receive().map(\.text) == ["Helaas: de nieuwjaarsreceptie van \(name) op dinsdag 15 december gaat niet door."])
        #expect(try school.runtime.database.readNow { try $0.pendingJobs(keyPrefix: "reception:\(reception):") }.isEmpty)
    }
}

extension ReceptionTests {
    @Test func aParentWhoBlocksTheBotLosesTheRemindersUntilWritingAgain() async throws {
        let school = try TestSchool()
        let service = school.runtime.service
        let (chat, _) = try await parent(school, language: "nl")
        try await service.planSchoolJobs()
        try await sendInvitations(school)
        let invitation = try #require(try await chat.receive().first { $0.text.contains("Groep 1/2") })
        try await chat.press("Misschien", in: invitation)
        #expect(try pending(school, kind: "reception_reminder").count == 1)
        // As the Telegram channel does when a send fails with 403 or the parent blocks the bot.
        try school.runtime.database.writeNow { tx in
            try tx.markUnreachable(channel: "terminal", address: chat.address, at: school.clock.now())
            try service.reachabilityChanged(channel: .terminal, address: chat.address, tx: tx, now: school.clock.now())
        }
        #expect(try pending(school, kind: "reception_reminder").isEmpty)
        try await chat.say("menu")
        #expect(try pending(school, kind: "reception_reminder").count == 1)
    }

    @Test func staffPlanAndMoveAReceptionThroughTheServiceAndThoseComingAreTold() async throws {
        let school = try TestSchool()
        let service = school.runtime.service
        let (chat, _) = try await parent(school, language: "nl")
        let planned = try await service.saveReception(ReceptionDraft(group: "g1", date: "2026-12-16", from: "15:00", to: "16:00", place: "Aula")).get()
        try await sendInvitations(school, reception: planned.id)
        let invitation = try #require(try await chat.receive().first { $0.text.contains("woensdag 16 december") })
        try await chat.press("Misschien", in: invitation)
        _ = try await service.saveReception(ReceptionDraft(group: "g1", date: "2026-12-17", from: "15:00", to: "16:00", place: "Aula"), id: planned.id).get()
        _ = try await service.runDueJobs()
        #expect(try await chat.receive().map(\.text).first?.hasPrefix("Let op: de nieuwjaarsreceptie van Groep 1/2 is verplaatst naar donderdag 17 december") == true)
        // Staff's own reception is not cancelled by a start that does not find it in the school file.
        try await service.planSchoolJobs()
        #expect(try school.runtime.database.readNow { try $0.reception(id: planned.id) }?.cancelledAt == nil)
        #expect(try await service.cancelReception(id: planned.id))
        _ = try await service.runDueJobs()
        #expect(try await chat.receive().map(\.text) == ["Helaas: de nieuwjaarsreceptie van Groep 1/2 op donderdag 17 december gaat niet door."])
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
