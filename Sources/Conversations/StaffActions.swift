import Foundation
import SamenspraakCore
import Storage

/// What staff do on behalf of parents. The school moves or cancels a talk (a teacher is ill, a parent phoned): the same
/// booking rules hold as in the chat, except the parents' own deadline, and every household attending is told in its
/// language. And the school reminds a group's parents who have not booked yet.
extension ConversationService {
    /// Moves talk `bookingID` to slot `slotID` (a free time of a teacher of the child's group, not in the past).
    public func moveBooking(_ bookingID: Int64, toSlot slotID: Int64, by staff: String) async throws -> Result<BookingDetails, InputProblem> {
        try await changeTalk { [self] tx, now in
            guard let old = try tx.activeBooking(id: bookingID) else { return (.failure(Self.noTalk(bookingID)), []) }
            guard let slot = try tx.slot(id: slotID), slot.active, let child = try tx.child(id: old.childID),
                  school.teachers(ofGroup: child.groupID).contains(where: { $0.id == slot.teacherID }) else {
                return (.failure(InputProblem(kind: .invalid, description: "that time is not one of this group's teachers' times")), [])
            }
            guard slot.startsAt > now else { return (.failure(InputProblem(kind: .invalid, description: "that time has passed")), []) }
            guard case .booked(let booking) = try tx.moveBooking(id: bookingID, toSlot: slotID, icsToken: SchoolHost.newToken(), at: now),
                  let moved = try tx.booking(id: booking.id ?? 0) else {
                return (.failure(InputProblem(kind: .invalid, description: "that time was just taken; choose another")), [])
            }
            let recipients = try tellAttendees("notice.school_moved", moved, tx: tx, now: now)
            try tx.audit(actor: staff, action: "move talk", subject: "booking \(bookingID) → \(booking.id ?? 0)", at: now)
            return (.success(moved), recipients)
        }
    }

    /// Cancels talk `bookingID` for every household attending it; the child can be booked again.
    public func cancelBooking(_ bookingID: Int64, by staff: String) async throws -> Result<BookingDetails, InputProblem> {
        try await changeTalk { [self] tx, now in
            guard let talk = try tx.activeBooking(id: bookingID) else { return (.failure(Self.noTalk(bookingID)), []) }
            try tx.cancelBooking(id: bookingID, at: now)
            let recipients = try tellAttendees("notice.school_cancelled", talk, tx: tx, now: now)
            try tx.audit(actor: staff, action: "cancel talk", subject: "booking \(bookingID)", at: now)
            return (.success(talk), recipients)
        }
    }

    /// Runs a change to a talk in one transaction, then wakes the households it told and the scheduler (their reminders moved).
    func changeTalk(_ change: @escaping @Sendable (Transaction, Date) throws -> (Result<BookingDetails, InputProblem>, [Recipient]))
        async throws -> Result<BookingDetails, InputProblem> {
        let now = clock.now()
        let (result, recipients) = try await committer.perform { tx in try change(tx, now) }
        await wakeups.signal(recipients: recipients)
        await wakeups.signal(Wakeups.jobsKey)
        return result
    }

    /// Free times a talk of `childID` could move to: the slots of the child's group's teachers from now on.
    public func freeSlots(forChild childID: String) async throws -> [SlotRecord] {
        let now = clock.now()
        return try await database.read { [school] tx in
            guard let child = try tx.child(id: childID) else { return [] }
            return try tx.freeSlots(teacherIDs: school.teachers(ofGroup: child.groupID).map(\.id), from: now)
        }
    }

    /// Tells the households attending the talk (with joint talks every household of the child: the other may join it)
    /// and replans their reminders, in the transaction that changed the talk.
    func tellAttendees(_ key: String, _ talk: BookingDetails, tx: Transaction, now: Date) throws -> [Recipient] {
        let households = school.booking.separatedHouseholds == .jointTalk
            ? try tx.households(ofChild: talk.childID) : try tx.attendees(booking: talk.bookingID)
        let notices = households.map { Notice(recipient: .household($0), key: key, values: SchoolHost.values(of: talk, school: school)) }
        for household in households {
            _ = try Reminders.replan(household: household, school: school, tx: tx, now: now, reachabilityChanged: false)
        }
        return try deliver(notices, tx: tx, now: now)
    }

    /// Plans a reminder to book, due now, for the households of `groupID` with a child not booked yet; the scheduler sends
    /// it (quiet hours and the weekly cap still hold). One per group per day: a second click plans the same job again.
    public func nudge(group groupID: String, by staff: String) async throws -> Result<Int, InputProblem> {
        let now = clock.now()
        guard school.group(groupID) != nil else { return .failure(InputProblem(kind: .notFound, description: "there is no group \(groupID)")) }
        guard now < school.booking.closes else { return .failure(InputProblem(kind: .invalid, description: "booking has closed")) }
        guard school.booking.round == .firstCome else {
            return .failure(InputProblem(kind: .invalid, description: "in a preference round the households that gave no answers get the school file's two reminders ('booking.nudges'), and no more"))
        }
        let waiting = try await committer.perform { [school] tx in
            let waiting = try tx.children(group: groupID).filter { try tx.activeBookings(child: $0.id).isEmpty }.count
            guard waiting > 0 else { return 0 }
            try tx.plan(PlannedJob(key: "\(Reminders.nudge):\(groupID):\(SchoolDay(now, in: school.calendar))", kind: Reminders.nudge, householdID: nil,
                                   reference: groupID, dueAt: now, expiresAt: min(now + 24 * 3600, school.booking.closes)))
            try tx.audit(actor: staff, action: "nudge", subject: "group \(groupID)", at: now)
            return waiting
        }
        await wakeups.signal(Wakeups.jobsKey)
        return .success(waiting)
    }

    static func noTalk(_ id: Int64) -> InputProblem { InputProblem(kind: .notFound, description: "there is no planned talk \(id)") }
}
