import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// The communicatieplan through the service and a real SQLite file, with a movable clock: agreements written to the
/// parents to confirm, the teacher's reminders on the agreed days (done, tomorrow, another day), check-ins whose
/// answers reach the teacher, the look back before an evaluation, and what changing or cancelling does to the jobs.
@Suite struct AgreementTests {
    struct Family {
        let parent: Conversation
        let teacherChat: Conversation
        let household: Int64
        let child: ChildRecord
        let teacher: Teacher
    }

    /// A household of the demo school with its chat (in `language`), and the teacher of its first child with theirs.
    func family(_ school: TestSchool, language: String = "nl") async throws -> Family {
        let household = try school.household()
        let child = try #require(try school.runtime.database.readNow { try $0.children(household: household.id) }.first)
        let teacher = try #require(school.runtime.school.teachers(ofGroup: child.groupID).first)
        let parent = Conversation(school, inviteCode: household.code)
        try await parent.start(language: language)
        try await parent.press(school.runtime.service.localizer.languageName(language))
        let code = try #require(try school.runtime.staffInvites(now: school.clock.now()).first { $0.teacher.id == teacher.id }).code
        let teacherChat = Conversation(school, inviteCode: code)
        try await teacherChat.start()
        try await parent.receive()
        try await teacherChat.receive()
        return Family(parent: parent, teacherChat: teacherChat, household: household.id, child: child, teacher: teacher)
    }

    func draft(_ family: Family, who: String = "teacher", what: String = "De ouders bellen om bijzonderheden te bespreken",
               when: String = "week after report1", how: String = "phone", checkIn: String? = nil, evaluation: Bool? = nil) -> AgreementDraft {
        AgreementDraft(childID: family.child.id, teacherID: family.teacher.id, who: who, what: what, why: "Zo weten we op tijd of er iets speelt",
                       when: when, how: how, checkIn: checkIn, evaluation: evaluation)
    }

    func jobs(_ school: TestSchool, agreement id: Int64?) throws -> [JobRecord] {
        try school.runtime.database.readNow { try $0.pendingJobs(keyPrefix: "agreement:\(id ?? 0):") }.sorted { $0.dueAt < $1.dueAt }
    }

    /// The moment `minute` after midnight on `day` in the school's time zone.
    func moment(_ school: TestSchool, _ day: String, _ minute: Int) -> Date {
        SchoolDay(day)!.at(minuteOfDay: minute, in: school.runtime.school.calendar)
    }

    @Test func parentsGetTheWrittenAgreementInTheirLanguageAndTheirAnswerIsKept() async throws {
        let school = try TestSchool()
        let service = school.runtime.service
        let family = try await family(school)
        let agreement = try await service.saveAgreement(draft(family)).get()
        #expect(try await service.runDueJobs().done == 1)
        let written = try #require(try await family.parent.receive().first)
        #expect(written.text.hasPrefix("Dit is afgesproken in het startgesprek over \(family.child.firstName) met \(family.teacher.name):"))
        #expect(written.text.contains("• Wanneer: de week na Rapport 1\n• Hoe: telefonisch"))
        #expect(written.choices.map(\.label) == ["Klopt", "Klopt niet"])

        // The parent is in the middle of something else; the button still answers this agreement.
        try await family.parent.say("taal")
        try await family.parent.press("Klopt", in: written)
        #expect(family.parent.lastMessages.map(\.text) == ["Dank u wel! Zo staat het genoteerd."])
        let responses = try school.runtime.database.readNow { try $0.responses(agreementID: agreement.id ?? 0) }
        #expect(responses[family.household]?.matches == true)

        // "Klopt niet" on a second agreement: the parent says what differs, and the teacher hears it.
        let second = try await service.saveAgreement(draft(family, what: "Juf belt na het rapport")).get()
        _ = try await service.runDueJobs()
        let secondWritten = try #require(try await family.parent.receive().first)
        try await family.parent.press("Klopt niet", in: secondWritten)
        #expect(family.parent.lastMessages.last?.text.hasPrefix("Wat klopt er niet aan “Juf belt na het rapport”?") == true)
        try await family.parent.say("Mijn man belt liever, na 18 uur")
        #expect(family.parent.lastMessages.map(\.text) == ["Dank u. \(family.teacher.name) krijgt uw bericht en neemt contact met u op."])
        let told = try await family.teacherChat.receive()
        #expect(told.map(\.text) == ["De ouders van \(family.child.firstName) zeggen dat deze afspraak niet klopt: “Juf belt na het rapport”.\nHun toelichting: Mijn man belt liever, na 18 uur"])
        #expect(try school.runtime.database.readNow { try $0.responses(agreementID: second.id ?? 0) }[family.household]?.comment == "Mijn man belt liever, na 18 uur")
    }

    @Test func theTeacherIsRemindedOnTheAgreedDayAndCanMoveOrFinishTheFollowUp() async throws {
        let school = try TestSchool()
        let service = school.runtime.service
        let family = try await family(school)
        try await service.planSchoolJobs()   // as at every start: the Monday summaries of open follow-ups
        let agreement = try await service.saveAgreement(draft(family)).get()
        _ = try await service.runDueJobs()
        try await family.parent.receive()

        // Report 1 is on Friday 5 February 2027: the reminder comes on Monday 8 February, at the end of quiet hours.
        let reminder = try #require(try jobs(school, agreement: agreement.id).first { $0.kind == "follow_up" })
        #expect(reminder.dueAt == moment(school, "2027-02-08", 8 * 60))
        school.clock.set(reminder.dueAt)
        #expect(try await service.runDueJobs().done == 1)
        let today = try #require(try await family.teacherChat.receive().first)
        #expect(today.text == "Vandaag: De ouders bellen om bijzonderheden te bespreken — \(family.child.firstName) (\(school.runtime.school.group(family.child.groupID)!.name)).\nAfgesproken: de week na Rapport 1, telefonisch. Waarom: Zo weten we op tijd of er iets speelt")
        #expect(today.choices.map(\.label) == ["Gedaan", "Morgen", "Andere dag"])
        #expect(try await family.parent.receive().isEmpty)   // the teacher acts; parents get nothing

        try await family.teacherChat.press("Morgen", in: today)
        #expect(family.teacherChat.lastMessages.map(\.text) == ["Ik herinner u er op dinsdag 9 februari weer aan."])
        school.clock.set(moment(school, "2027-02-09", 8 * 60))
        #expect(try await service.runDueJobs().done == 1)
        let again = try #require(try await family.teacherChat.receive().first)
        try await family.teacherChat.press("Andere dag", in: again)
        try await family.teacherChat.say("3")   // the third school day from now: Friday 12 February
        #expect(family.teacherChat.lastMessages.map(\.text) == ["Ik herinner u er op vrijdag 12 februari weer aan."])
        try await family.teacherChat.press("Gedaan", in: today)   // an old reminder: already moved
        #expect(family.teacherChat.lastMessages.map(\.text) == ["Deze actie is al afgehandeld, of de afspraak is vervallen."])

        // Not done on the 12th: on Monday the 15th it is overdue; it is in the teacher's weekly summary and in the
        // staff's coverage, and "Gedaan" ends that.
        school.clock.set(moment(school, "2027-02-12", 9 * 60))
        _ = try await service.runDueJobs()
        let last = try #require(try await family.teacherChat.receive().first)
        school.clock.set(moment(school, "2027-02-15", 9 * 60))
        let overdue = try school.runtime.database.readNow { try $0.overdueFollowUps(teacher: family.teacher.id, before: "2027-02-15") }
        #expect(overdue.map(\.followUp.day) == ["2027-02-12"])
        _ = try await service.runDueJobs()
        #expect(try await family.teacherChat.receive().map(\.text) == ["Nog open van de afgesproken acties (1):\n• vrijdag 12 februari: De ouders bellen om bijzonderheden te bespreken — \(family.child.firstName)"])
        #expect(try await service.coverage().first { $0.group == family.child.groupID }?.overdueFollowUps == 1)
        try await family.teacherChat.press("Gedaan", in: last)
        #expect(family.teacherChat.lastMessages.map(\.text) == ["Genoteerd als gedaan."])
        #expect(try school.runtime.database.readNow { try $0.overdueFollowUps(before: "2027-02-16") }.isEmpty)
    }

    @Test func aCheckInReachesTheParentsAndTheirAnswerReachesTheTeacher() async throws {
        for language in ["nl", "ar"] {
            let school = try TestSchool()
            let service = school.runtime.service
            let family = try await family(school, language: language)
            let agreement = try await service.saveAgreement(draft(
                family, who: "parents", what: "Elke dag samen tellen tot tien", when: "every 2 weeks until summer", how: "chat",
                checkIn: "Hoe gaat het oefenen met tellen tot tien?")).get()
            let planned = try jobs(school, agreement: agreement.id)
            #expect(!planned.contains { $0.kind == "follow_up" })   // the parents act: no reminder for the teacher
            let checkIns = planned.filter { $0.kind == "check_in" }
            #expect(checkIns.count > 10 && checkIns.first?.dueAt == moment(school, "2026-12-07", 15 * 60 + 30))

            _ = try await service.runDueJobs()
            let written = try #require(try await family.parent.receive().first)
            try await family.parent.press(written.choices[0].label, in: written)
            school.clock.set(moment(school, "2026-12-07", 15 * 60 + 30))
            #expect(try await service.runDueJobs().done == 1)
            let question = try #require(try await family.parent.receive().first)
            try await family.parent.press(question.choices[1].label, in: question)   // "so-so"
            try await family.parent.say("Hij telt al tot zeven!")
            try GoldenTranscripts.compare(family.parent.transcript, with: "check-in-\(language)")

            let teacher = try await family.teacherChat.receive().map(\.text)
            #expect(teacher == ["Check-in van de ouders van \(family.child.firstName) over “Elke dag samen tellen tot tien”: Gaat wel",
                                "De ouders van \(family.child.firstName) over “Elke dag samen tellen tot tien”: “Hij telt al tot zeven!”"])
            let answers = try school.runtime.database.readNow { try $0.checkInAnswers(agreementID: agreement.id ?? 0) }
            #expect(answers.map(\.answer) == ["fair"] && answers.first?.comment == "Hij telt al tot zeven!")
        }
    }

    @Test func changingOrCancellingAnAgreementChangesItsJobsAndBadDraftsChangeNothing() async throws {
        let school = try TestSchool()
        let service = school.runtime.service
        let family = try await family(school)
        let agreement = try await service.saveAgreement(draft(family, when: "week after report1; week after report2")).get()
        let id = try #require(agreement.id)
        #expect(try jobs(school, agreement: id).filter { $0.kind == "follow_up" }.count == 2)

        for (bad, reason) in [(draft(family, who: "principal"), "'who' must be one of teacher, parents, together, not 'principal'"),
                              (draft(family, when: "week after report9"), "'when': 'report9' is not a report in the school file's calendar"),
                              (draft(family, when: "2026-01-05"), "'when' has no school day left: '2026-01-05'"),
                              (draft(family, how: "pigeon"), "'how' must be one of phone, chat, mail, video, meeting, home_visit, not 'pigeon'"),
                              (draft(family, what: "  "), "'what' is empty"),
                              (AgreementDraft(childID: "9999", teacherID: family.teacher.id, who: "teacher", what: "x", why: "y", when: "early june", how: "phone"),
                               "there is no child '9999' in the roster")] {
            guard case .failure(let problem) = try await service.saveAgreement(bad, id: id) else { Issue.record("accepted \(bad)"); continue }
            #expect(problem.description == reason)
        }
        let other = try #require(school.runtime.school.teachers.first { !school.runtime.school.teachers(ofGroup: family.child.groupID).contains($0) })
        var foreign = draft(family)
        foreign.teacherID = other.id
        guard case .failure = try await service.saveAgreement(foreign) else { Issue.record("a teacher of another group was accepted"); return }
        #expect(try school.runtime.database.readNow { try $0.agreements(child: family.child.id) }.count == 1)
        #expect(try school.runtime.database.readNow { try $0.agreement(id: id) }?.moments == "week after report1; week after report2")

        // Changed: the reminders follow the new moment in the same transaction, and the parents confirm the new text.
        _ = try await service.runDueJobs()
        let confirmation = try #require(try await family.parent.receive().first)
        try await family.parent.press("Klopt", in: confirmation)
        _ = try await service.saveAgreement(draft(family, when: "early june"), id: id).get()
        let changed = try jobs(school, agreement: id)
        #expect(changed.filter { $0.kind == "follow_up" }.map(\.dueAt) == [moment(school, "2027-06-01", 8 * 60)])
        #expect(changed.contains { $0.kind == "agreement_written" })
        #expect(try school.runtime.database.readNow { try $0.responses(agreementID: id) }.isEmpty)

        // "stop" removes the household's check-ins in the same transaction; "start" brings them back.
        _ = try await service.saveAgreement(draft(family, when: "early june", checkIn: "Hoe gaat het?"), id: id).get()
        #expect(try jobs(school, agreement: id).contains { $0.kind == "check_in" && $0.householdID == family.household })
        try await family.parent.say("stop")
        #expect(!(try jobs(school, agreement: id).contains { $0.householdID == family.household }))
        #expect(try jobs(school, agreement: id).contains { $0.kind == "follow_up" })
        try await family.parent.say("start")
        #expect(try jobs(school, agreement: id).contains { $0.kind == "check_in" && $0.householdID == family.household })

        #expect(try await service.cancelAgreement(id: id))
        #expect(try jobs(school, agreement: id).isEmpty)
        #expect(try await service.cancelAgreement(id: id) == false)
    }

    @Test func beforeAnEvaluationBothSidesGetTheAgreementsAndDowntimeIsCaughtUpByRules() async throws {
        let school = try TestSchool()
        let service = school.runtime.service
        let family = try await family(school)
        _ = try await service.saveAgreement(draft(family, what: "Oefenen met tellen", when: "every 2 weeks until report1", how: "chat",
                                                  checkIn: "Hoe gaat het tellen?")).get()
        let evaluation = try await service.saveAgreement(draft(family, who: "together", what: "Korte evaluatie met kind, leerkracht en ouders",
                                                               when: "early june", how: "meeting", evaluation: true)).get()
        _ = try await service.runDueJobs()
        for chat in [family.parent, family.teacherChat] { try await chat.receive() }
        let lookBacks = try jobs(school, agreement: evaluation.id).filter { $0.kind == "look_back" }
        // Three days before Tuesday 1 June is a Saturday: the look back waits for Monday morning.
        #expect(lookBacks.count == 2 && lookBacks.allSatisfy { $0.dueAt == moment(school, "2027-05-31", 8 * 60) })

        // The daemon was down from before the first check-in (7 December, 15:30) until two days later: it still
        // goes out, as it is not a week late; the one of 21 December, caught up only on the 28th, is skipped.
        school.clock.set(moment(school, "2026-12-09", 10 * 60))
        let restarted = try school.restarted()
        try await restarted.runtime.service.planSchoolJobs()
        #expect(try await restarted.runtime.service.runDueJobs().done >= 1)
        #expect(try await family.parent.receive().contains { $0.text.hasPrefix("\(family.teacher.name) vraagt: Hoe gaat het tellen?") })
        school.clock.set(moment(school, "2026-12-28", 10 * 60))
        let late = try await restarted.runtime.service.runDueJobs()
        #expect(late.done == 0 && late.skipped >= 1)

        school.clock.set(moment(school, "2027-05-31", 8 * 60))
        _ = try await restarted.runtime.service.runDueJobs()
        let teacherLook = try #require(try await family.teacherChat.receive().last)
        #expect(teacherLook.text.hasPrefix("Op dinsdag 1 juni is de evaluatie met de ouders van \(family.child.firstName)."))
        #expect(teacherLook.text.contains("• Oefenen met tellen (om de 2 weken tot Rapport 1, via de chat)"))
        #expect(teacherLook.text.contains("• Korte evaluatie met kind, leerkracht en ouders (begin juni, op school)"))
        let parentLook = try #require(try await family.parent.receive().last)
        #expect(parentLook.text.hasPrefix("Op dinsdag 1 juni kijken we samen terug op de afspraken over \(family.child.firstName):"))
    }

    @Test func theTeacherRecordsAnAgreementByChat() async throws {
        let school = try TestSchool()
        let service = school.runtime.service
        let family = try await family(school)
        // The parent booked a talk; it has just been held.
        try await family.parent.bookFirstFreeTime()
        let talk = try #require(try school.runtime.database.readNow { try $0.activeBookings(household: family.household) }.first)
        let teacherChat: Conversation
        if talk.teacherID == family.teacher.id { teacherChat = family.teacherChat } else {
            let code = try #require(try school.runtime.staffInvites(now: school.clock.now()).first { $0.teacher.id == talk.teacherID }).code
            teacherChat = Conversation(school, inviteCode: code)
            try await teacherChat.start()
        }
        school.clock.set(talk.endsAt.addingTimeInterval(300))

        try await teacherChat.say("afspraken")
        try await teacherChat.say("Zoë")                    // no such child: type again
        try await teacherChat.say(talk.childFirstName)        // typed; two children of the group share the name
        let child = try #require(try school.runtime.database.readNow { try $0.child(id: talk.childID) })
        try await teacherChat.press("\(child.firstName) \(child.lastName) (\(school.runtime.school.group(child.groupID)!.name))")
        try await teacherChat.press("Ik, de leerkracht")
        try await teacherChat.say("De ouders bellen om bijzonderheden te bespreken")
        try await teacherChat.say("Zo weten we op tijd of er iets speelt")
        try await teacherChat.press("Op een datum")
        try await teacherChat.say("31-02-2027")               // not a date
        try await teacherChat.say("12-01-2027")
        try await teacherChat.press("Nog een moment")
        try await teacherChat.press("De week na een rapport")
        try await teacherChat.say("1")
        try await teacherChat.press("Nog een moment")
        try await teacherChat.press("Regelmatig, tot…")
        try await teacherChat.press("Om de 4 weken")
        try await teacherChat.say("1")                        // the first holiday or report to come
        try await teacherChat.press("Klaar")
        try await teacherChat.press("Telefoon")
        try await teacherChat.say("Hoe gaat het thuis met lezen?")
        try await teacherChat.press("Opslaan")
        try GoldenTranscripts.compare(teacherChat.transcript, with: "agreement-flow-nl")

        let coverage = try #require(try await service.coverage().first { $0.group == child.groupID })
        #expect(coverage.booked == 1 && coverage.held == 1 && coverage.notBooked == coverage.children - 1 && coverage.overdueFollowUps == 0)
        let saved = try #require(try school.runtime.database.readNow { try $0.agreements(child: talk.childID) }.first)
        #expect(saved.teacherID == talk.teacherID && saved.who == "teacher" && saved.how == "phone" && saved.checkIn == "Hoe gaat het thuis met lezen?")
        #expect(saved.moments == "2027-01-12; week after report1; every 4 weeks until short")
        #expect(try jobs(school, agreement: saved.id).contains { $0.kind == "follow_up" && $0.dueAt == moment(school, "2027-01-12", 8 * 60) })
        _ = try await service.runDueJobs()
        #expect(try await family.parent.receive().contains { $0.text.hasPrefix("Dit is afgesproken in het startgesprek over \(talk.childFirstName)") })
    }
}
