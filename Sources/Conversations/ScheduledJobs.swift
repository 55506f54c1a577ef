import Dialogue
import Foundation
import SamenspraakCore
import Storage

/// Runs due jobs: each one's messages go into the outbox (marked unprompted, so replies overtake them) in the
/// same transaction that marks the job done, skipped or postponed, so a crash repeats a job whole or not at all.
extension ConversationService {
    public struct JobReport: Sendable, Equatable {
        public var done = 0
        public var skipped = 0
        public var postponed = 0
        public var recipients: Set<Recipient> = []
    }

    /// Runs up to `limit` jobs that are due now.
    public func runDueJobs(limit: Int = 1000) async throws -> JobReport {
        let now = clock.now()
        let report = try await committer.perform { [self] tx in
            var report = JobReport()
            let policy = school.unprompted
            let quietUntil = policy.isQuiet(now, calendar: school.calendar) ? policy.nextAllowed(from: now, calendar: school.calendar) : nil
            let jobs = try tx.dueJobs(now: now, limit: limit)
            let batchFailure = try tx.isolated {
                for job in jobs { try run(job, now: now, quietUntil: quietUntil, tx: tx, report: &report) }
            }
            guard batchFailure != nil else { return report }
            // A job failed: run them again one by one, each in its own savepoint, and skip the ones that fail,
            // so one broken job cannot hold back the others (a savepoint per job always would halve the speed).
            report = JobReport()
            for job in jobs {
                if let error = try tx.isolated({ try run(job, now: now, quietUntil: quietUntil, tx: tx, report: &report) }) {
                    logger.error("a scheduled job failed; skipped", metadata: ["job": "\(job.id)", "kind": "\(job.kind)", "error": "\(error)"])
                    try tx.finishJob(id: job.id, status: "skipped", note: "failed: \(error)", at: now)
                    report.skipped += 1
                }
            }
            return report
        }
        await wakeups.signal(recipients: report.recipients)
        return report
    }

    /// Plans the jobs that follow from the school file (the nudges to book, the teachers' agendas, the receptions) and replans every
    /// agreement that still holds, so an edited school calendar is followed; run at every start.
    public func planSchoolJobs() async throws {
        let now = clock.now()
        try await committer.perform { [self] tx in
            try Reminders.planSchoolJobs(school: school, tx: tx, now: now)
            try ReceptionPlanner.synchronise(school: school, tx: tx, now: now)
            for agreement in try tx.activeAgreements() {
                try AgreementPlanner.replan(agreement, school: school, tx: tx, now: now, announce: false)
            }
        }
        await wakeups.signal(Wakeups.jobsKey)
    }

    /// After a platform said a chat blocked us (or no longer does), in that same transaction: the household's planned
    /// messages follow, as after "stop" or "start".
    public func reachabilityChanged(channel: ChannelKind, address: String, tx: Transaction, now: Date) throws {
        guard let household = try tx.contact(channel: channel.rawValue, address: address)?.householdID else { return }
        _ = try Reminders.replan(household: household, school: school, tx: tx, now: now, reachabilityChanged: true)
        // A buddy who can no longer be reached ends the pairing kindly for the other.
        let notices = try BuddyMatchmaker(tx: tx, school: school, localizer: localizer, now: now).householdUnreachable(household)
        _ = try deliver(notices, unprompted: true, tx: tx, now: now)
    }

    public func nextJobDue() async throws -> Date? {
        try await database.read { try $0.nextJobDue() }
    }

    /// What a job came to.
    enum JobOutcome {
        case done(String)
        case skipped(String)
        case postponed(Date, String)
    }

    func run(_ job: JobRecord, now: Date, quietUntil: Date?, tx: Transaction, report: inout JobReport) throws {
        // Each weekly summary plans the next, whatever becomes of it (also when the daemon was down past its day).
        if job.kind == Reminders.weeklySummary, school.teacher(job.reference) != nil {
            try tx.plan(Reminders.weeklySummary(of: job.reference, after: max(now, job.dueAt), school: school))
        }
        let outcome = try outcome(of: job, now: now, quietUntil: quietUntil, tx: tx, report: &report)
        switch outcome {
        case .done(let note):
            try tx.finishJob(id: job.id, status: "done", note: note, at: now)
            report.done += 1
        case .skipped(let note):
            try tx.finishJob(id: job.id, status: "skipped", note: note, at: now)
            report.skipped += 1
        case .postponed(let moment, let note):
            try tx.postponeJob(id: job.id, to: moment, note: note)
            report.postponed += 1
        }
    }

    func outcome(of job: JobRecord, now: Date, quietUntil: Date?, tx: Transaction, report: inout JobReport) throws -> JobOutcome {
        // After downtime a job catches up only while it still makes sense.
        guard now <= job.expiresAt else { return .skipped("too late: was due \(job.dueAt), pointless after \(job.expiresAt)") }
        // Planning the round sends nothing, so quiet hours do not hold it back.
        if job.kind == Reminders.roundPlan { return try planRound(now: now, tx: tx) }
        if let later = quietUntil {
            return later <= job.expiresAt ? .postponed(later, "quiet hours") : .skipped("quiet hours last until it is too late")
        }
        switch job.kind {
        case Reminders.talkReminder:
            guard let bookingID = Int64(job.reference), let talk = try tx.activeBooking(id: bookingID),
                  let household = job.householdID, try tx.attendees(booking: bookingID).contains(household)
            else { return .skipped("the talk is no longer planned") }
            let values = SchoolHost.values(of: talk, school: school)
            return try send(to: household, job: job, now: now, tx: tx, report: &report) { language in
                reply("reminder.talk", values, language: language,
                      choices: [("move", "menu.move"), ("cancel", "menu.cancel"), ("questions", "menu.questions")])
            }
        case Reminders.nudge:
            // The school file's nudges go to everyone, at most twice; staff's (reference: a group) to one group when they ask.
            let group = job.reference.isEmpty ? nil : job.reference
            if group == nil {
                guard try tx.jobCount(status: "done", kind: Reminders.nudge, reference: "") < 2 else { return .skipped("two nudges were sent already") }
            }
            // In a preference round the reminder asks the households that gave no answers yet for them.
            let answered = school.booking.round == .preferenceRound ? try tx.householdsThatAnswered() : nil
            var nudged = 0
            let households = try group.map(tx.households(ofGroup:)) ?? tx.households().compactMap(\.id)
            for householdID in households where answered?.contains(householdID) != true {
                let booked = Set(try tx.activeBookings(household: householdID).map(\.childID))
                let waiting = try tx.children(household: householdID).filter { !booked.contains($0.id) && (group == nil || $0.groupID == group) }
                guard !waiting.isEmpty else { continue }
                let values: [String: MessageValue] = ["children": .text(waiting.map(\.firstName).joined(separator: ", ")),
                                                      "closes": .day(school.booking.closes)]
                let key = answered == nil ? "reminder.nudge" : "reminder.preferences"
                let sent = try send(to: householdID, job: job, now: now, tx: tx, report: &report) { language in
                    reply(key, values, language: language, choices: [("book", "menu.book")])
                }
                if case .done = sent { nudged += 1 }
            }
            return .done("sent to \(nudged) households")
        case Reminders.teacherAgenda:
            guard let teacher = school.teacher(job.reference) else { return .skipped("the teacher is no longer in the school file") }
            let agenda = TeacherAgenda(school: school, localizer: localizer)
            let talks = try agenda.talks(teacher: teacher.id, day: now, tx: tx)
            guard !talks.isEmpty else { return .skipped("no talks that day") }
            return try send(toTeacher: teacher.id, now: now, tx: tx, report: &report) { language in
                reply("staff.agenda", try agenda.values(of: talks, day: now, language: language, tx: tx), language: language,
                      choices: [("days", "staff.other_day")])
            }
        case Reminders.weeklySummary:
            guard let teacher = school.teacher(job.reference) else { return .skipped("the teacher is no longer in the school file") }
            let open = try tx.overdueFollowUps(teacher: teacher.id, before: SchoolDay(now, in: school.calendar).description)
            guard !open.isEmpty else { return .skipped("no follow-ups open") }
            let text = AgreementText(school: school)
            return try send(toTeacher: teacher.id, now: now, tx: tx, report: &report) { language in
                let lines = try open.map { item in
                    var values = try text.values(item.agreement, tx: tx)
                    values["day"] = SchoolDay(item.followUp.day).map { .day($0, in: school.calendar) } ?? .text(item.followUp.day)
                    return localizer.text("staff.summary_line", values, language: language)
                }
                return reply("staff.weekly_summary", ["count": .number(open.count), "items": .text(lines.joined(separator: "\n"))], language: language)
            }
        case ReceptionPlanner.invite, ReceptionPlanner.nudge, ReceptionPlanner.reminder, ReceptionPlanner.change, ReceptionPlanner.after:
            return try receptionOutcome(of: job, now: now, tx: tx, report: &report)
        case AgreementPlanner.written, AgreementPlanner.followUp, AgreementPlanner.checkIn, AgreementPlanner.lookBack:
            return try agreementOutcome(of: job, now: now, tx: tx, report: &report)
        case BuddyJobs.expire, BuddyJobs.checkIn:
            return try buddyOutcome(of: job, now: now, tx: tx, report: &report)
        default:
            return .skipped("unknown kind of job '\(job.kind)'")
        }
    }

    /// Queues `message` for every contact of the teacher that can be reached and did not say "stop". Teachers have no
    /// weekly limit: these messages are part of their work.
    func send(toTeacher teacher: String, now: Date, tx: Transaction, report: inout JobReport,
              message: (String) throws -> OutboundMessage) throws -> JobOutcome {
        var sent = 0
        for contact in try tx.contacts(teacher: teacher) where contact.receivesMessages {
            if let recipient = try queue(try message(language(of: contact)), to: contact, unprompted: true, tx: tx, now: now) {
                report.recipients.insert(recipient)
                sent += 1
            }
        }
        return sent > 0 ? .done("sent to the teacher") : .skipped("the teacher has no chat account, or said stop")
    }

    /// Queues `message` for the household's chat (the one it last wrote from, if it did not say "stop") when (if
    /// `capped`) it is under the weekly cap. When the cap holds everyone back, the job waits until it lets the first one through.
    func send(to household: Int64, job: JobRecord, now: Date, tx: Transaction, report: inout JobReport,
              capped: Bool = true, message: (String) throws -> OutboundMessage) throws -> JobOutcome {
        let policy = school.unprompted
        let week: TimeInterval = 7 * 24 * 3600
        var sent = 0
        var capFreesAt: [Date] = []
        for contact in try tx.reachableContact(household: household).map({ [$0] }) ?? [] {
            guard let contactID = contact.id else { continue }
            let recent = capped ? try tx.unpromptedMessages(contactID: contactID, since: now.addingTimeInterval(-week)) : []
            if capped, recent.count >= policy.perWeek {
                if policy.perWeek > 0 { capFreesAt.append(recent[recent.count - policy.perWeek].addingTimeInterval(week)) }
                continue
            }
            if let recipient = try queue(try message(language(of: contact)), to: contact, unprompted: true, tx: tx, now: now) {
                report.recipients.insert(recipient)
                sent += 1
            }
        }
        if sent > 0 { return .done(capFreesAt.isEmpty ? "sent" : "sent; \(capFreesAt.count) over the weekly limit") }
        if let first = capFreesAt.min() {
            let later = policy.nextAllowed(from: first, calendar: school.calendar)
            return later <= job.expiresAt ? .postponed(later, "weekly limit reached") : .skipped("weekly limit reached until it is too late")
        }
        return .skipped("nobody to send to (stopped or unreachable)")
    }

    /// A message with buttons that start a command's flow from wherever the person is (see `DialogueEngine.commandChoiceID`).
    func reply(_ key: String, _ values: [String: MessageValue], language: String, choices: [(command: String, label: String)],
               argument: String? = nil) -> OutboundMessage {
        var message = reply(key, values, language: language)
        message.choices = choices.map {
            Choice(id: DialogueEngine.commandChoiceID($0.command, argument: argument), label: localizer.text($0.label, [:], language: language))
        }
        return message
    }
}
