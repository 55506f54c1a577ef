import Foundation
import SamenspraakCore
import Storage

/// Plans the messages nobody asked for as jobs: a reminder the day before each talk, and the nudges to
/// households that have not booked yet. Planning runs in the transaction that changed what it depends on,
/// so a moved talk's reminder moves with it and a cancelled talk's reminder is gone at once.
enum Reminders {
    static let talkReminder = "talk_reminder"
    static let nudge = "nudge"

    /// Brings a household's talk reminders in line with its active talks and whether anyone of it can still be
    /// reached (a parent who said "stop" gets none). Returns whether a reminder is pending now.
    static func replan(household: Int64, school: School, tx: Transaction, now: Date) throws -> Bool {
        let reachable = try tx.contacts(household: household).contains(where: \.receivesMessages)
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
        for job in try tx.pendingJobs(household: household, kind: talkReminder) where wanted[job.key] == nil {
            try tx.unplan(jobID: job.id)
        }
        for job in wanted.values { try tx.plan(job) }
        return !wanted.isEmpty
    }

    /// The school's nudge moments as jobs. Run at every start, so an edited school file is followed; a moment
    /// already past is not planned afresh (a school starting mid-window), but one that was pending is kept, so
    /// downtime does not lose it.
    static func planNudges(school: School, tx: Transaction, now: Date) throws {
        let moments = school.booking.nudgeMoments(policy: school.unprompted, calendar: school.calendar)
        let pending = Dictionary(try tx.pendingSchoolJobs(kind: nudge).map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var wanted = Set<String>()
        for moment in moments {
            let key = "\(nudge):\(Int(moment.timeIntervalSince1970))"
            wanted.insert(key)
            guard moment > now || pending[key] != nil else { continue }
            let expires = min(moment.addingTimeInterval(24 * 3600), school.booking.closes)
            try tx.plan(PlannedJob(key: key, kind: nudge, householdID: nil, reference: "", dueAt: moment, expiresAt: expires))
        }
        for (key, job) in pending where !wanted.contains(key) { try tx.unplan(jobID: job.id) }
    }
}
