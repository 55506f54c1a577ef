import Foundation
import SamenspraakCore
import Storage

/// Plans the messages nobody asked for as jobs: a reminder the day before each talk, and the nudges to
/// households that have not booked yet. Planning runs in the transaction that changed what it depends on,
/// so a moved talk's reminder moves with it and a cancelled talk's reminder is gone at once.
enum Reminders {
    static let talkReminder = "talk_reminder"
    static let nudge = "nudge"
    static let teacherAgenda = "teacher_agenda"
    static let weeklySummary = "weekly_summary"
    /// A preference round's proposal, made when the round closes.
    static let roundPlan = "round_plan"
    /// When a teacher's agenda of the day goes out (moved out of quiet hours, so 08:00 by default).
    static let agendaMinuteOfDay = 7 * 60 + 30

    /// Brings a household's talk reminders in line with its active talks and whether anyone of it can still be
    /// reached (a parent who said "stop" gets none). Returns whether a reminder is pending now.
    /// When `reachabilityChanged` (a new chat, "stop", "start"), the household's agreement and reception jobs follow too.
    static func replan(household: Int64, school: School, tx: Transaction, now: Date, reachabilityChanged: Bool = false) throws -> Bool {
        let reachable = try tx.canReach(household: household)
        var wanted: [String: PlannedJob] = [:]
        if reachable {
            for talk in try tx.activeBookings(household: household) {
                let due = school.unprompted.reminderMoment(before: talk.startsAt, calendar: school.calendar)
                let expires = talk.startsAt.addingTimeInterval(-3600)
                // Booked on the day itself, the confirmation was the reminder.
                guard due > now, due < expires else { continue }
                let key = "\(talkReminder):\(talk.bookingID):\(household)"
                wanted[key] = PlannedJob(key: key, kind: talkReminder, householdID: household, reference: String(talk.bookingID),
                                         dueAt: due, expiresAt: expires)
            }
        }
        try tx.reconcile(pending: try tx.pendingJobs(household: household, kind: talkReminder), wanted: Array(wanted.values))
        // The agreements about its children and its groups' receptions: their messages go to it only while it can
        // be reached.
        guard reachabilityChanged else { return !wanted.isEmpty }
        var otherJobs = false
        let children = try tx.children(household: household)
        for child in children {
            for agreement in try tx.agreements(child: child.id) {
                otherJobs = try AgreementPlanner.replan(agreement, school: school, tx: tx, now: now, announce: false) || otherJobs
            }
        }
        let groups = Set(children.map(\.groupID))
        for reception in try tx.receptions() where groups.contains(reception.groupID) && reception.cancelledAt == nil && reception.endsAt > now {
            otherJobs = try ReceptionPlanner.replan(reception, school: school, tx: tx, now: now) || otherJobs
        }
        return !wanted.isEmpty || otherJobs
    }

    /// The jobs that follow from the school file: the nudges to book (or to answer, in a preference round), planning a
    /// preference round when it closes, and each teacher's agenda on every day with time for talks. Run at every start,
    /// so an edited school file is followed.
    static func planSchoolJobs(school: School, tx: Transaction, now: Date) throws {
        var wanted: [PlannedJob] = []
        for moment in school.booking.nudgeMoments(policy: school.unprompted, calendar: school.calendar) {
            let expires = min(moment.addingTimeInterval(24 * 3600), school.booking.closes)
            wanted.append(PlannedJob(key: "\(nudge):\(Int(moment.timeIntervalSince1970))", kind: nudge, householdID: nil, reference: "",
                                     dueAt: moment, expiresAt: expires))
        }
        try plan(wanted, kind: nudge, tx: tx, now: now)
        // A preference round is planned when it closes, so staff find a proposal waiting; still worth doing until changes end.
        let round = school.booking.round == .preferenceRound
            ? [PlannedJob(key: "\(roundPlan):\(PlanningRound.id(school))", kind: roundPlan, householdID: nil, reference: PlanningRound.id(school),
                          dueAt: school.booking.closes, expiresAt: school.booking.changesUntil ?? school.booking.closes)]
            : []
        try plan(round, kind: roundPlan, tx: tx, now: now)
        wanted = []
        for teacher in school.teachers {
            // The agenda goes out in the morning and still helps until the day's last talk ends; whether there are
            // talks is decided when it is due, so booking needs no replanning here.
            var days: [String: (first: Date, end: Date)] = [:]
            for block in teacher.availability {
                let key = school.calendar.dayKey(block.start)
                let day = days[key]
                days[key] = (min(day?.first ?? block.start, block.start), max(day?.end ?? block.end, block.end))
            }
            for (key, day) in days {
                let morning = school.calendar.startOfDay(for: day.first).addingTimeInterval(TimeInterval(agendaMinuteOfDay * 60))
                let due = school.unprompted.nextAllowed(from: morning, calendar: school.calendar)
                guard due < day.end else { continue }
                wanted.append(PlannedJob(key: "\(teacherAgenda):\(teacher.id):\(key)", kind: teacherAgenda, householdID: nil,
                                         reference: teacher.id, dueAt: due, expiresAt: day.end))
            }
        }
        try plan(wanted, kind: teacherAgenda, tx: tx, now: now)
        try plan(school.teachers.map { weeklySummary(of: $0.id, after: now, school: school) }, kind: weeklySummary, tx: tx, now: now)
    }

    /// The teacher's Monday list of agreed follow-ups still open, on the first Monday morning after `moment`; each
    /// one, when it runs, plans the next.
    static func weeklySummary(of teacher: String, after moment: Date, school: School) -> PlannedJob {
        let today = SchoolDay(moment, in: school.calendar)
        var monday = today.adding(days: (8 - today.weekday) % 7)
        var due = school.unprompted.nextAllowed(from: monday.at(minuteOfDay: agendaMinuteOfDay, in: school.calendar), calendar: school.calendar)
        if due <= moment {
            monday = monday.adding(days: 7)
            due = school.unprompted.nextAllowed(from: monday.at(minuteOfDay: agendaMinuteOfDay, in: school.calendar), calendar: school.calendar)
        }
        return PlannedJob(key: "\(weeklySummary):\(teacher):\(monday)", kind: weeklySummary, householdID: nil, reference: teacher, dueAt: due,
                          expiresAt: monday.adding(days: 1).at(minuteOfDay: 0, in: school.calendar))
    }

    /// Plans the school-wide jobs of one kind and drops pending ones no longer wanted. A moment already past is not
    /// planned afresh (a school starting mid-window), but one that was pending is kept, so downtime does not lose it.
    static func plan(_ wanted: [PlannedJob], kind: String, tx: Transaction, now: Date) throws {
        let pending = try tx.pendingSchoolJobs(kind: kind)
        let pendingKeys = Set(pending.map(\.key))
        try tx.reconcile(pending: pending, wanted: wanted.filter { $0.dueAt > now || pendingKeys.contains($0.key) })
    }
}
