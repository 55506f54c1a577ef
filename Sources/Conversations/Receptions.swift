import Dialogue
import Foundation
import SamenspraakCore
import Storage

/// The nieuwjaarsreceptie as jobs, each household its own: an invitation, one nudge while it has not answered, a
/// reminder the school day before while it says yes or maybe (planned and removed with its answer, in its transaction),
/// word to those coming when it moves or is cancelled, and afterwards the question about buddies. The school file
/// is read at every start and compared with what was stored, so a moved or removed reception is noticed.
enum ReceptionPlanner {
    static let invite = "reception_invite"
    static let nudge = "reception_nudge"
    static let reminder = "reception_reminder"
    static let change = "reception_change"
    static let after = "reception_after"
    static let answers = ["yes", "maybe", "no"]
    static let invitationLead: TimeInterval = 14 * 24 * 3600

    static func prefix(_ id: String) -> String { "reception:\(id):" }

    /// The reception a job is about, from its key "reception:<id>:…".
    static func receptionID(of job: JobRecord) -> String? {
        let parts = job.key.split(separator: ":", maxSplits: 2)
        return parts.count == 3 && parts[0] == "reception" ? String(parts[1]) : nil
    }

    static func synchronise(school: School, tx: Transaction, now: Date) throws {
        var stored = Dictionary(try tx.receptions().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for reception in school.receptions {
            var record = stored.removeValue(forKey: reception.id)
                ?? ReceptionRecord(id: reception.id, groupID: reception.groupID, startsAt: reception.start, endsAt: reception.end,
                                   place: reception.place, note: reception.note, icsToken: SchoolHost.newToken())
            let moved = record.startsAt != reception.start || record.endsAt != reception.end || record.place != reception.place
            let revived = record.cancelledAt != nil
            (record.groupID, record.startsAt, record.endsAt, record.place, record.note, record.cancelledAt, record.source) =
                (reception.groupID, reception.start, reception.end, reception.place, reception.note, nil, "file")
            try save(record, told: moved ? "moved" : revived ? "planned" : nil, school: school, tx: tx, now: now)
        }
        // Gone from the school file: cancelled, and those who said they would come are told. Staff's own stay.
        for var record in stored.values where record.cancelledAt == nil && record.source == "file" {
            record.cancelledAt = now
            try save(record, told: "cancelled", school: school, tx: tx, now: now)
        }
    }

    /// Stores the reception, tells those coming what happened to it (moved, cancelled, planned again), and replans.
    static func save(_ record: ReceptionRecord, told news: String?, school: School, tx: Transaction, now: Date) throws {
        try tx.saveReception(record)
        if let news, record.endsAt > now { try tell(record, kind: news, tx: tx, now: now, school: school) }
        try replan(record, school: school, tx: tx, now: now)
    }

    /// Brings the reception's jobs in line with it and with the answers so far.
    @discardableResult
    static func replan(_ reception: ReceptionRecord, school: School, tx: Transaction, now: Date) throws -> Bool {
        let calendar = school.calendar
        let policy = school.unprompted
        var wanted: [PlannedJob] = []
        func plan(_ kind: String, household: Int64? = nil, at moment: Date, expires: Date) {
            let due = max(now, policy.nextAllowed(from: moment, calendar: calendar))
            guard due < expires else { return }
            wanted.append(PlannedJob(key: prefix(reception.id) + kind + (household.map { ":\($0)" } ?? ""), kind: kind, householdID: household,
                                     reference: reception.id, dueAt: due, expiresAt: expires))
        }
        if reception.cancelledAt == nil {
            let answers = try tx.receptionAnswers(id: reception.id)
            let nudgeMoment = SchoolDay(reception.startsAt, in: calendar).adding(days: -3).at(minuteOfDay: 15 * 60 + 30, in: calendar)
            let nextDay = SchoolDay(reception.endsAt, in: calendar).adding(days: 1)
            // Each household's own jobs, so the weekly limit of one holds back only that one, and its answer changes
            // only its own.
            for household in try tx.reachableHouseholds(ofGroup: reception.groupID) {
                switch answers[household]?.answer {
                case nil:
                    // Two weeks ahead is soon enough, and leaves the weekly limit to what is nearer.
                    plan(invite, household: household, at: reception.startsAt.addingTimeInterval(-invitationLead), expires: reception.startsAt)
                    plan(nudge, household: household, at: nudgeMoment, expires: reception.startsAt)
                case "yes", "maybe":
                    plan(reminder, household: household, at: policy.reminderMoment(before: reception.startsAt, calendar: calendar), expires: reception.startsAt)
                    plan(after, household: household, at: nextDay.at(minuteOfDay: 15 * 60 + 30, in: calendar), expires: nextDay.adding(days: 7).at(minuteOfDay: 0, in: calendar))
                default: break
                }
            }
        }
        // Word of a change still goes out; and while the reception holds, an invitation or question about buddies that
        // fell due during downtime stays (its expiry decides).
        try tx.reconcile(pending: try tx.pendingJobs(keyPrefix: prefix(reception.id)), wanted: wanted) { job in
            job.kind == change || (reception.cancelledAt == nil && job.dueAt <= now && [invite, after].contains(job.kind))
        }
        return !wanted.isEmpty
    }

    /// Plans word of the reception being moved, cancelled or planned again to every household that said yes or maybe.
    static func tell(_ reception: ReceptionRecord, kind: String, tx: Transaction, now: Date, school: School) throws {
        let version = "\(kind)-\(Int(reception.startsAt.timeIntervalSince1970))-\(Int(now.timeIntervalSince1970))"
        for (household, answer) in try tx.receptionAnswers(id: reception.id) where answer.answer != "no" {
            try tx.plan(PlannedJob(key: prefix(reception.id) + "\(change):\(version):\(household)", kind: change, householdID: household,
                                   reference: kind, dueAt: max(now, school.unprompted.nextAllowed(from: now, calendar: school.calendar)),
                                   expiresAt: max(reception.startsAt, now.addingTimeInterval(24 * 3600))))
        }
    }
}

extension ConversationService {
    /// The values of a reception's messages: group, day, times, place, the note, the hosts and the calendar link.
    func receptionValues(_ reception: ReceptionRecord, language: String) -> [String: MessageValue] {
        let hosts = school.teachers(ofGroup: reception.groupID).map(\.name)
        return ["group": .text(school.group(reception.groupID)?.name ?? reception.groupID), "day": .day(reception.startsAt),
                "time": .time(reception.startsAt), "end": .time(reception.endsAt), "place": .text(reception.place),
                "note": .text(reception.note.map { "\n\($0)." } ?? ""), "teacher": .text(hosts.joined(separator: " / ")),
                "ics_url": .text("\(publicURL)/ics/\(reception.icsToken).ics")]
    }

    /// After the reception: would the parents like a buddy, or be one? Each button carries its answer.
    func buddyQuestion(_ reception: ReceptionRecord, language: String) -> OutboundMessage {
        var message = reply("reception.after", receptionValues(reception, language: language), language: language)
        message.choices = ["wants", "offers", "no"].map {
            Choice(id: DialogueEngine.commandChoiceID("buddy_interest", argument: "\(reception.id):\($0)"),
                   label: localizer.text("reception.buddy_\($0)", [:], language: language))
        }
        return message
    }

    func receptionOutcome(of job: JobRecord, now: Date, tx: Transaction, report: inout JobReport) throws -> JobOutcome {
        guard let id = ReceptionPlanner.receptionID(of: job), let reception = try tx.reception(id: id) else { return .skipped("no such reception") }
        if job.kind == ReceptionPlanner.change, let household = job.householdID {
            // Important news for those who planned to come: not held back by the weekly limit.
            return try send(to: household, job: job, now: now, tx: tx, report: &report, capped: false) { language in
                reply("reception.\(job.reference)", receptionValues(reception, language: language), language: language)
            }
        }
        guard reception.cancelledAt == nil else { return .skipped("the reception was cancelled") }
        let answers = try tx.receptionAnswers(id: id)
        let buttons: [(command: String, label: String)] = ReceptionPlanner.answers.map { ("reception_\($0)", "reception.\($0)") }
        switch job.kind {
        case ReceptionPlanner.invite, ReceptionPlanner.nudge:
            guard let household = job.householdID, answers[household] == nil else { return .skipped("answered already") }
            let key = job.kind == ReceptionPlanner.invite ? "reception.invite" : "reception.nudge"
            return try send(to: household, job: job, now: now, tx: tx, report: &report) { language in
                reply(key, receptionValues(reception, language: language), language: language, choices: buttons, argument: id)
            }
        case ReceptionPlanner.reminder:
            guard let household = job.householdID, let answer = answers[household], answer.answer != "no" else { return .skipped("not coming") }
            return try send(to: household, job: job, now: now, tx: tx, report: &report) { language in
                reply("reception.reminder_\(answer.answer)", receptionValues(reception, language: language), language: language, choices: buttons, argument: id)
            }
        case ReceptionPlanner.after:
            guard let household = job.householdID, let answer = answers[household], answer.answer != "no" else { return .skipped("did not come") }
            return try send(to: household, job: job, now: now, tx: tx, report: &report) { buddyQuestion(reception, language: $0) }
        default:
            return .skipped("unknown kind of job '\(job.kind)'")
        }
    }
}

/// The answers to a reception so far: for staff's overview and the teacher's.
struct ReceptionTally {
    let answers: [Int64: (answer: String, people: Int)]
    let notAnswered: Int

    init(reception id: String, group: String, tx: Transaction) throws {
        answers = try tx.receptionAnswers(id: id)
        let answered = answers
        notAnswered = try tx.households(ofGroup: group).filter { answered[$0] == nil }.count
    }

    func count(_ answer: String) -> Int { answers.values.filter { $0.answer == answer }.count }
    var yes: Int { count("yes") }
    var maybe: Int { count("maybe") }
    var no: Int { count("no") }
    /// The people those who said yes bring (themselves included).
    var people: Int { answers.values.filter { $0.answer == "yes" }.reduce(0) { $0 + $1.people } }
}

/// A reception with its answers so far, as staff see it.
public struct ReceptionOverview: Sendable, Codable, Equatable {
    public var id: String
    public var groupID: String
    public var group: String
    public var startsAt: Date
    public var place: String
    public var cancelled: Bool
    public var yes: Int
    public var maybe: Int
    public var no: Int
    public var notAnswered: Int
    public var people: Int
    /// Asked afterwards: households that would like a buddy, and that would like to be one.
    public var wantBuddy: Int
    public var offerBuddy: Int

    enum CodingKeys: String, CodingKey {
        case id, groupID = "group_id", group, startsAt = "starts_at", place, cancelled, yes, maybe, no, notAnswered = "not_answered", people,
             wantBuddy = "want_buddy", offerBuddy = "offer_buddy"
    }
}

extension ConversationService {
    /// The school file's receptions (whether or not the daemon has started since) and those it dropped, with the answers.
    public func receptionOverview() async throws -> [ReceptionOverview] {
        try await database.read { [school] tx in
            let stored = try tx.receptions()
            let interests = try tx.buddyInterests()
            let current = school.receptions.map { ($0.id, $0.groupID, $0.start, $0.place, false) }
            // Not (or no longer) in the school file: planned by staff, or dropped from the file (cancelled at the next start).
            let dropped = stored.filter { record in !school.receptions.contains { $0.id == record.id } }
                .map { ($0.id, $0.groupID, $0.startsAt, $0.place, $0.cancelledAt != nil || $0.source == "file") }
            return try (current + dropped).map { id, group, start, place, cancelled in
                let tally = try ReceptionTally(reception: id, group: group, tx: tx)
                return ReceptionOverview(
                    id: id, groupID: group, group: school.group(group)?.name ?? group, startsAt: start, place: place, cancelled: cancelled,
                    yes: tally.yes, maybe: tally.maybe, no: tally.no, notAnswered: tally.notAnswered, people: tally.people,
                    wantBuddy: interests.filter { $0.source == "reception:\(id)" && $0.interest == "wants" }.count,
                    offerBuddy: interests.filter { $0.source == "reception:\(id)" && $0.interest == "offers" }.count)
            }
        }
    }
}

/// A reception as staff plan it on the CLI or through the API, before it is checked.
public struct ReceptionDraft: Sendable, Codable, Equatable {
    public var group: String
    public var date: String
    public var from: String
    public var to: String
    public var place: String?
    public var note: String?

    public init(group: String, date: String, from: String, to: String, place: String? = nil, note: String? = nil) {
        (self.group, self.date, self.from, self.to, self.place, self.note) = (group, date, from, to, place, note)
    }
}

extension ConversationService {
    /// Plans a reception (`id` nil) or moves one, in one transaction with its invitations and the word to those coming.
    /// A problem (unknown group, end before start, a moment in the past) stores nothing; `.notFound` for an unknown id.
    public func saveReception(_ draft: ReceptionDraft, id: String? = nil) async throws -> Result<ReceptionRecord, InputProblem> {
        let now = clock.now()
        let result = try await committer.perform { [self] tx -> Result<ReceptionRecord, InputProblem> in
            func invalid(_ text: String) -> Result<ReceptionRecord, InputProblem> { .failure(InputProblem(kind: .invalid, description: text)) }
            guard let group = school.group(draft.group) else { return invalid("there is no group '\(draft.group)' in the school file") }
            guard let day = SchoolDay(draft.date) else { return invalid("'date' must be a date like 2026-09-10, not '\(draft.date)'") }
            guard let from = SchoolDay.minuteOfDay(draft.from), let to = SchoolDay.minuteOfDay(draft.to) else {
                return invalid("'from' and 'to' must be times like 15:00")
            }
            guard to > from else { return invalid("the reception ends (\(draft.to)) before it starts (\(draft.from))") }
            let start = day.at(minuteOfDay: from, in: school.calendar), end = day.at(minuteOfDay: to, in: school.calendar)
            guard start > now else { return invalid("\(draft.date) \(draft.from) is in the past") }
            let place = draft.place?.trimmingCharacters(in: .whitespaces).nilIfEmpty ?? school.teachers(ofGroup: group.id).first?.place ?? ""
            var record: ReceptionRecord
            if let id {
                guard let existing = try tx.reception(id: id), existing.cancelledAt == nil else {
                    return .failure(InputProblem(kind: .notFound, description: "there is no reception '\(id)'"))
                }
                guard existing.groupID == group.id else { return invalid("a reception cannot change its group; cancel it and plan a new one") }
                record = existing
            } else {
                let newID = "\(group.id)-\(day)"
                if let existing = try tx.reception(id: newID), existing.cancelledAt == nil {
                    return invalid("\(group.name) already has a reception on \(day) ('\(newID)'); move that one instead")
                }
                record = ReceptionRecord(id: newID, groupID: group.id, startsAt: start, endsAt: end, place: place, note: nil,
                                         icsToken: SchoolHost.newToken(), source: "staff")
            }
            let moved = id != nil && (record.startsAt != start || record.endsAt != end || record.place != place)
            (record.startsAt, record.endsAt, record.place, record.note, record.cancelledAt) = (start, end, place, draft.note?.nilIfEmpty, nil)
            try ReceptionPlanner.save(record, told: moved ? "moved" : nil, school: school, tx: tx, now: now)
            return .success(record)
        }
        await wakeups.signal(Wakeups.jobsKey)
        return result
    }

    /// Cancels a reception; those who said yes or maybe are told. False when there is no such (active) reception.
    public func cancelReception(id: String) async throws -> Bool {
        let now = clock.now()
        let cancelled = try await committer.perform { [self] tx -> Bool in
            guard var record = try tx.reception(id: id), record.cancelledAt == nil else { return false }
            record.cancelledAt = now
            try ReceptionPlanner.save(record, told: "cancelled", school: school, tx: tx, now: now)
            return true
        }
        await wakeups.signal(Wakeups.jobsKey)
        return cancelled
    }
}
