import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// Talk reminders and nudges as durable jobs, driven by a movable clock: planned, moved and removed in the
/// transaction that changes the talk, sent once at their moment (not in quiet hours, not over the weekly cap),
/// skipped when they no longer make sense — also after the daemon was down.
@Suite struct ReminderTests {
    /// A school whose school file was edited (`from` → `to`) before it started.
    func school(replacing from: String? = nil, with to: String = "") throws -> TestSchool {
        let plain = try TestSchool()
        guard let from else { return plain }
        let yaml = plain.directory.url.appendingPathComponent("school.yaml")
        let text = try String(contentsOf: yaml, encoding: .utf8)
        #expect(text.contains(from))
        try text.replacingOccurrences(of: from, with: to).write(to: yaml, atomically: true, encoding: .utf8)
        return try plain.restarted()
    }

    func chat(_ school: TestSchool, children: Int = 1) async throws -> (Conversation, Int64) {
        let household = try school.household(children: children)
        let chat = Conversation(school, inviteCode: household.code)
        try await chat.start(language: "nl")
        try await chat.press("Nederlands")
        return (chat, household.id)
    }

    /// Books the first free time on the `day`-th day offered.
    func book(_ chat: Conversation, day: Int = 1) async throws {
        try await chat.bookFirstFreeTime(day: day)
        #expect(chat.transcript.contains { $0.hasPrefix("Gepland!") })
    }

    func pending(_ school: TestSchool, household: Int64? = nil) throws -> [JobRecord] {
        try school.runtime.database.readNow { tx in try tx.jobs(status: "pending", limit: 1000) }
            .filter { household == nil || $0.householdID == household }
    }

    func talks(_ school: TestSchool, household: Int64) throws -> [BookingDetails] {
        try school.runtime.database.readNow { try $0.activeBookings(household: household) }
    }

    @Test func bookingPlansAReminderTheSchoolDayBeforeAndMovingOrCancellingChangesIt() async throws {
        let school = try school()
        let (chat, household) = try await chat(school)
        try await book(chat)
        let talk = try #require(try talks(school, household: household).first)
        let reminder = try #require(try pending(school, household: household).first)
        #expect(reminder.kind == "talk_reminder" && reminder.reference == String(talk.bookingID))
        #expect(reminder.dueAt == school.runtime.school.unprompted.reminderMoment(before: talk.startsAt, calendar: school.runtime.school.calendar))
        #expect(reminder.expiresAt == talk.startsAt.addingTimeInterval(-3600))

        try await chat.say("verzetten")
        try await chat.say("1")   // the talk
        try await chat.say("2")   // another day
        try await chat.say("1")   // its first time
        let moved = try #require(try talks(school, household: household).first)
        #expect(moved.bookingID != talk.bookingID)
        let jobs = try pending(school, household: household)
        #expect(jobs.map(\.reference) == [String(moved.bookingID)])

        try await chat.say("afzeggen")
        try await chat.say("1")
        try await chat.press("Ja, afzeggen")
        #expect(try talks(school, household: household).isEmpty)
        #expect(try pending(school, household: household).isEmpty)
    }

    @Test func aReminderIsSentOnceAtItsMomentAndItsButtonsWorkFromAnywhere() async throws {
        let school = try school()
        let (chat, household) = try await chat(school)
        try await book(chat)
        let reminder = try #require(try pending(school, household: household).first)
        let service = school.runtime.service

        school.clock.set(reminder.dueAt.addingTimeInterval(-60))
        #expect(try await service.runDueJobs().done == 0)
        school.clock.set(reminder.dueAt)
        try await chat.receive()
        let report = try await service.runDueJobs()
        #expect(report.done == 1 && report.recipients.count == 1)
        let sent = try await chat.receive()
        #expect(sent.count == 1)
        #expect(sent[0].text.hasPrefix("Herinnering:"))
        #expect(sent[0].choices.map(\.label) == ["Verzetten", "Afzeggen", "Voorbereiding"])
        #expect(try await service.runDueJobs().done == 0)   // never twice
        #expect(try pending(school, household: household).isEmpty)

        // The parent is in the middle of something else; the reminder's button still does what it says.
        try await chat.say("taal")
        try await chat.press("Verzetten", in: sent[0])
        #expect(chat.lastMessages.last?.text == "Welk gesprek wilt u verzetten?")
        // A reply to the parent is queued before the reminder would be, whatever was queued earlier.
        let rows = try school.runtime.database.readNow { try $0.outbox(channel: "terminal", address: chat.address, after: 0) }
        #expect(rows.filter(\.unprompted).count == 1)
    }

    @Test func stopRemovesTheRemindersAndStartBringsThemBack() async throws {
        let school = try school()
        let (chat, household) = try await chat(school)
        try await book(chat)
        #expect(try pending(school, household: household).count == 1)
        try await chat.say("stop")
        #expect(try pending(school, household: household).isEmpty)
        try await chat.say("start")
        #expect(try pending(school, household: household).count == 1)
    }

    @Test func quietHoursPostponeAJobAndAJobTooLateIsSkippedNotSent() async throws {
        let school = try school()
        let (chat, household) = try await chat(school)
        try await book(chat)
        let reminder = try #require(try pending(school, household: household).first)
        let service = school.runtime.service
        let calendar = school.runtime.school.calendar

        // The daemon was down from before the reminder until 22:00 that evening: it waits for the morning…
        let evening = calendar.date(bySettingHour: 22, minute: 0, second: 0, of: reminder.dueAt)!
        school.clock.set(evening)
        let restarted = try school.restarted()
        let report = try await restarted.runtime.service.runDueJobs()
        #expect(report.postponed == 1 && report.done == 0)
        let postponed = try #require(try pending(restarted, household: household).first)
        #expect(postponed.dueAt == school.runtime.school.unprompted.nextAllowed(from: evening, calendar: calendar))
        #expect(postponed.note == "quiet hours")

        // …and when that morning is already past the talk, it is skipped and says why.
        let talk = try #require(try talks(school, household: household).first)
        school.clock.set(talk.startsAt.addingTimeInterval(-600))
        #expect(try await service.runDueJobs().skipped == 1)
        let skipped = try school.runtime.database.readNow { try $0.jobs(status: "skipped", limit: 10) }
        #expect(skipped.count == 1 && skipped[0].note?.hasPrefix("too late") == true)
        try await chat.receive()
        #expect(chat.lastMessages.isEmpty)
    }

    @Test func aJobDueWhileTheDaemonWasDownRunsAfterTheRestart() async throws {
        let school = try school()
        let (chat, household) = try await chat(school)
        try await book(chat)
        let reminder = try #require(try pending(school, household: household).first)
        school.clock.set(reminder.dueAt.addingTimeInterval(1800))   // half an hour late, still worth it
        let restarted = try school.restarted()
        #expect(try await restarted.runtime.service.runDueJobs().done == 1)
        #expect(try await chat.receive().first?.text.hasPrefix("Herinnering:") == true)
    }

    @Test func theWeeklyCapHoldsBackWhatComesTooSoonAfterAnother() async throws {
        let school = try school(replacing: "per_week: 2", with: "per_week: 1")
        let (chat, household) = try await chat(school, children: 2)
        try await book(chat, day: 1)
        try await book(chat, day: 2)
        let reminders = try pending(school, household: household).sorted { $0.dueAt < $1.dueAt }
        #expect(reminders.count == 2)
        let service = school.runtime.service
        school.clock.set(reminders[0].dueAt)
        #expect(try await service.runDueJobs().done == 1)
        school.clock.set(reminders[1].dueAt)
        // The cap frees a week after the first: after the talk, so the second reminder is skipped, and says so.
        #expect(try await service.runDueJobs().skipped == 1)
        let skipped = try school.runtime.database.readNow { try $0.jobs(status: "skipped", limit: 10) }
        #expect(skipped.first?.note == "weekly limit reached until it is too late")
        try await chat.receive()
        #expect(chat.lastMessages.count == 1)
    }

    @Test func nudgesReachOnlyHouseholdsWithoutATalkAtMostTwice() async throws {
        let school = try school()
        let service = school.runtime.service
        try await service.planSchoolJobs()
        try await service.planSchoolJobs()   // every start plans again: no duplicates
        let nudges = try pending(school).filter { $0.kind == "nudge" }.sorted { $0.dueAt < $1.dueAt }
        #expect(nudges.count == 2)

        let (booked, bookedHousehold) = try await chat(school)
        let children = try school.runtime.database.readNow { try $0.children(household: bookedHousehold).count }
        for _ in 0..<children { try await book(booked) }
        let households = try school.runtime.database.readNow { try $0.households() }
        let unbooked = Conversation(school, inviteCode: try #require(households.last?.inviteCode))
        try await unbooked.start(language: "nl")
        try await unbooked.press("Nederlands")
        let stopped = Conversation(school, inviteCode: try #require(households.dropLast().last?.inviteCode))
        try await stopped.start(language: "nl")
        try await stopped.say("stop")
        for chat in [booked, unbooked, stopped] { try await chat.receive() }

        // (Their invitations to the groups' receptions go out too; only the nudges to book count here.)
        func isNudge(_ message: OutboundMessage) -> Bool { message.text.hasPrefix("U heeft nog geen startgesprek gepland voor") }
        school.clock.set(nudges[0].dueAt)
        #expect(try await service.runDueJobs().done >= 1)
        #expect(!(try await booked.receive().contains(where: isNudge)))
        #expect(try await stopped.receive().isEmpty)
        let nudge = try #require(try await unbooked.receive().first(where: isNudge))
        #expect(nudge.choices.map(\.label) == ["Gesprek plannen"])
        try await unbooked.press("Gesprek plannen", in: nudge)
        #expect(unbooked.lastMessages.last?.choices.isEmpty == false)

        // A third nudge, added to the school file later, is not sent.
        try school.runtime.database.writeNow { tx in
            try tx.plan(PlannedJob(key: "nudge:extra", kind: "nudge", householdID: nil, reference: "", dueAt: nudges[1].dueAt.addingTimeInterval(60),
                                   expiresAt: nudges[1].expiresAt))
        }
        school.clock.set(nudges[1].dueAt.addingTimeInterval(120))
        #expect(try await service.runDueJobs().done >= 1)
        let skipped = try school.runtime.database.readNow { try $0.jobs(status: "skipped", limit: 1000) }.filter { $0.kind == "nudge" }
        #expect(skipped.map(\.key) == ["nudge:extra"] && skipped.first?.note == "two nudges were sent already")
    }

    @Test func theSchedulerWakesForAJobThatBecameDue() async throws {
        let school = try school()
        let (chat, household) = try await chat(school)
        try await book(chat)
        try await chat.receive()
        let reminder = try #require(try pending(school, household: household).first)
        let service = school.runtime.service
        let loop = Task { await JobScheduler(service: service, logger: .init(label: "test")).run() }
        defer { loop.cancel() }
        school.clock.set(reminder.dueAt)
        await service.wakeups.signal(Wakeups.jobsKey)
        var received: [OutboundMessage] = []
        for _ in 0..<300 where received.isEmpty {
            received = try await chat.receive()
            if received.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(received.first?.text.hasPrefix("Herinnering:") == true)
    }
}
