import App
import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// Teachers' own chat accounts: a staff invite binds a chat to a teacher, who sees the day's talks with the
/// parents' pre-talk answers on request and every morning with talks.
@Suite struct TeacherTests {
    /// A parent books the first free time and answers the three preparation questions; returns the talk.
    func bookWithAnswers(_ school: TestSchool) async throws -> BookingDetails {
        let household = try school.household()
        let parent = Conversation(school, inviteCode: household.code)
        try await parent.start(language: "nl")
        try await parent.press("Nederlands")
        try await parent.bookFirstFreeTime()
        try await parent.press("Ja, nu")
        try await parent.say("Zij is verlegen in een nieuwe groep")
        try await parent.say("Zij heeft een allergie voor noten")
        try await parent.say("Meer vriendjes maken")
        return try #require(try school.runtime.database.readNow { try $0.activeBookings(household: household.id) }.first)
    }

    func staffCode(_ school: TestSchool, teacher: String) throws -> String {
        try #require(try school.runtime.staffInvites(now: school.clock.now()).first { $0.teacher.id == teacher }).code
    }

    @Test func aStaffInviteBindsTheTeachersChatInDutchAndShowsTheirTalksWithTheParentsAnswers() async throws {
        let school = try TestSchool()
        let talk = try await bookWithAnswers(school)
        let teacher = try #require(school.runtime.school.teacher(talk.teacherID))
        let chat = Conversation(school, inviteCode: try staffCode(school, teacher: teacher.id))
        // Telegram may say the phone is set to English: teachers still start in Dutch.
        try await chat.start(language: "en")
        #expect(chat.transcript[1].hasPrefix("Welkom, \(teacher.name)!"))
        #expect(chat.lastMessages.last?.choices.map(\.label) == ["Vandaag", "Andere dag", "Afspraak vastleggen", "Receptie", "Taal", "Hulp"])

        try await chat.press("Vandaag")
        #expect(chat.lastMessages.first?.text == "U heeft vandaag geen startgesprekken.")
        try await chat.press("Andere dag")
        #expect(chat.lastMessages.last?.choices.map(\.label).first?.hasSuffix("(1)") == true)
        try await chat.say("1")
        let agenda = try #require(chat.lastMessages.first?.text)
        #expect(agenda.hasPrefix("Uw startgesprekken op "))
        #expect(agenda.contains(talk.childFirstName) && agenda.contains(talk.place))
        #expect(agenda.contains("Om te weten: Zij is verlegen in een nieuwe groep · Zij heeft een allergie voor noten"))
        #expect(agenda.contains("Wens of doel: Meer vriendjes maken"))

        // The same code binds only to the teacher; the teacher's commands are their own, and "taal" works as for parents.
        try await chat.say("help")
        #expect(chat.lastMessages.first?.text.hasPrefix("U kunt altijd typen:") == true)
        try await chat.say("taal")
        try await chat.press("English")
        try await chat.say("agenda")
        #expect(chat.lastMessages.first?.text == "You have no start conversations today.")
    }

    @Test func theMorningAgendaGoesToTheTeacherOnDaysWithTalksOnly() async throws {
        let school = try TestSchool()
        let talk = try await bookWithAnswers(school)
        let chat = Conversation(school, inviteCode: try staffCode(school, teacher: talk.teacherID))
        try await chat.start()
        let service = school.runtime.service
        try await service.planSchoolJobs()
        let agendas = try school.runtime.database.readNow { try $0.jobs(status: "pending", limit: 10_000) }.filter { $0.kind == "teacher_agenda" }
        let calendar = school.runtime.school.calendar
        let talkDay = calendar.dayKey(talk.startsAt)
        let job = try #require(agendas.first { $0.reference == talk.teacherID && calendar.dayKey($0.dueAt) == talkDay })
        // 07:30 is within quiet hours (until 08:00), so it goes out at 08:00.
        #expect(calendar.dateComponents([.hour, .minute], from: job.dueAt) == DateComponents(hour: 8, minute: 0))
        #expect(job.expiresAt > talk.startsAt)

        school.clock.set(job.dueAt)
        try await chat.receive()
        #expect(try await service.runDueJobs().done >= 1)
        let sent = try await chat.receive()
        #expect(sent.count == 1)
        #expect(sent[0].text.contains("Wens of doel: Meer vriendjes maken"))
        #expect(sent[0].choices.map(\.label) == ["Andere dag"])
        try await chat.press("Andere dag", in: sent[0])
        #expect(chat.lastMessages.last?.text == "Van welke dag wilt u de gesprekken zien?")

        // The teacher's next day has no booked talk: its agenda is skipped, and says so.
        let emptyDay = try #require(agendas.filter { $0.reference == talk.teacherID && $0.dueAt > job.dueAt }.map(\.dueAt).min())
        school.clock.set(emptyDay)
        try await chat.receive()
        #expect(try await service.runDueJobs().skipped >= 1)
        #expect(try await chat.receive().isEmpty)
        let skipped = try school.runtime.database.readNow { try $0.jobs(status: "skipped", limit: 100) }
        #expect(skipped.contains { $0.reference == talk.teacherID && $0.note == "no talks that day" })
    }

    @Test func aTeacherWhoSaidStopGetsNoAgendaAndAnUnknownOrRemovedTeachersCodeOpensNothing() async throws {
        let school = try TestSchool()
        let talk = try await bookWithAnswers(school)
        let code = try staffCode(school, teacher: talk.teacherID)
        let chat = Conversation(school, inviteCode: code)
        try await chat.start()
        try await chat.say("stop")
        try await school.runtime.service.planSchoolJobs()
        let job = try #require(try school.runtime.database.readNow { try $0.jobs(status: "pending", limit: 10_000) }
            .first { $0.kind == "teacher_agenda" && $0.reference == talk.teacherID && $0.expiresAt > talk.startsAt && $0.dueAt < talk.startsAt })
        school.clock.set(job.dueAt)
        try await chat.receive()
        _ = try await school.runtime.service.runDueJobs()
        #expect(try await chat.receive().isEmpty)

        // The teacher left the school file: the code no longer opens a conversation.
        let yaml = school.directory.url.appendingPathComponent("school.yaml")
        let text = try String(contentsOf: yaml, encoding: .utf8)
        let teacher = try #require(school.runtime.school.teacher(talk.teacherID))
        try text.replacingOccurrences(of: teacher.id, with: "\(teacher.id)-left").write(to: yaml, atomically: true, encoding: .utf8)
        let restarted = try school.restarted()
        let outcome = try await restarted.runtime.service.start(channel: .terminal, address: "someone-new", platformMessageID: UUID().uuidString,
                                                                 inviteCode: code, languageHint: nil)
        #expect(outcome == .unknownSender)
    }
}
