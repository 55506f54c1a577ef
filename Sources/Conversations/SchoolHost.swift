import Dialogue
import Foundation
import Localization
import SamenspraakCore
import Storage

/// The dialogue's window on the school: offers children, days and times, and books, moves and cancels
/// talks, all inside the step's transaction.
struct SchoolHost: ContactHost {
    let tx: Transaction
    let school: School
    let localizer: Localizer
    let now: Date
    let publicURL: String
    let dayKeys: DayKeys
    let household: Int64
    var contact: ContactRecord
    /// Whether a buddy's message waits for its translation (a provider is configured) instead of going at once.
    var translatesBuddyMessages = false
    /// Messages for others caused by this step (the child's other household for joint talks, the teacher for an answer
    /// to a check-in), sent by the service with this step's replies.
    var notices: [Notice] = []
    /// Households whose talks (or whether they want messages) changed in this step: their reminders are replanned.
    var changedHouseholds: Set<Int64> = []
    /// Set when this step's "stop" or "start" changed whether the household can be sent messages at all.
    var reachabilityChanged = false
    /// Set when this step planned a job itself (a reception's reminder), so the scheduler may have to wake sooner.
    var plannedJobs = false

    static var catalog: HostCatalog { SchoolHostCatalog.catalog }
}

/// Everything the flows may use; `samenspraak check` validates the flows against it.
public enum SchoolHostCatalog {
    public static let catalog = HostCatalog(
        actions: SchoolHost.sharedActions.merging([
            "summarise_household": ["none_booked", "some_booked", "all_booked"],
            "check_booking_open": ["open", "closed", "preferences", "planning"],
            "select_child": ["ok", "joint_available"],
            "join_booking": ["ok", "gone"],
            "book": ["ok", "taken", "closed", "already"],
            "select_booking": ["ok", "too_late"],
            "move_booking": ["ok", "taken", "closed"],
            "cancel_booking": ["ok", "closed"],
            "pretalk_child": ["ok", "choose", "none"],
            "save_answers": ["ok"],
        ].merging(SchoolHost.agreementActions) { own, _ in own }.merging(SchoolHost.receptionActions) { own, _ in own }
            .merging(SchoolHost.preferenceActions) { own, _ in own }.merging(SchoolHost.buddyActions) { own, _ in own }) { shared, _ in shared },
        optionSources: Set(["languages", "children_to_book", "free_days", "free_times", "changeable_bookings", "pretalk_children", "people_counts",
                        "suitabilities", "time_wishes"]).union(SchoolHost.buddyOptionSources),
        variables: ["school", "child", "group", "teacher", "place", "day", "time", "ics_url", "talks", "opens", "closes", "sibling",
                    "answer", "current_thing1", "current_thing2", "current_wish", "count", "date_label", "children",
                    "who", "what", "why", "when", "how", "question", "comment", "agreements", "name", "month", "end", "note", "interest",
                    "block_kind", "current", "total", "summary", "until", "status", "chosen_languages", "chosen_situations", "groups",
                    "languages", "situation", "text", "phone", "original"],
        messages: Set(["booking.child_option", "booking.day_option", "booking.day_option_sibling", "booking.time_option",
                   "booking.time_option_sibling", "booking.time_option_teacher", "move.talk_option", "pretalk.child_option",
                   "pretalk.current", "menu.talk_line", "common.too_long", "common.text_only", "common.unavailable",
                   "telegram.need_invite", "telegram.private_only", "whatsapp.need_invite", "whatsapp.choose", "sms.need_invite", "reminder.talk", "reminder.nudge", "notice.school_moved", "notice.school_cancelled",
                   "agreement.written", "agreement.translated", "agreement.untranslated", "agreement.matches", "agreement.differs", "agreement.look_back", "agreement.line",
                   "check_in.question", "check_in.good", "check_in.fair", "check_in.poor", "check_in.tell",
                   "when.day", "when.week_after", "when.early", "when.mid", "when.late", "when.every_week", "when.every_weeks",
                   "reception.invite", "reception.yes", "reception.maybe", "reception.no", "reception.people_option", "reception.nudge",
                   "reception.reminder_yes", "reception.reminder_maybe", "reception.moved", "reception.cancelled", "reception.planned",
                   "reception.after", "reception.buddy_wants", "reception.buddy_offers", "reception.buddy_no",
                   "preferences.current", "preferences.summary_line", "plan.published", "plan.published_unanswered", "plan.unplaced"]
                   + SchoolHost.buddyMessages
                   + BlockKind.allCases.map { "preferences.kind_\($0.rawValue)" }
                   + TalkPlanner.Suitability.allCases.map { "preferences.\($0.rawValue)" } + SchoolHost.wishes.map { "preferences.wish_\($0)" }
                   + Agreement.Party.allCases.map { "agreement.who_\($0.rawValue)" } + Agreement.Means.allCases.map { "agreement.how_\($0.rawValue)" }
                   + Notice.Kind.allCases.map(\.messageKey)))
}

/// A message to someone else caused by this person's step, rendered in each recipient's own language.
struct Notice: Sendable {
    /// What another household hears about a talk it shares (or may join).
    enum Kind: String, CaseIterable, Sendable {
        case booked, moved, cancelled
        var messageKey: String { "notice.joint_\(rawValue)" }
    }
    let recipient: Invitee
    let key: String
    let values: [String: MessageValue]
    /// Buttons under the message, each starting a button flow wherever the recipient is.
    var buttons: [Button] = []

    struct Button: Sendable {
        /// The flow's name under `buttons:` in commands.yaml, and what it acts on.
        let flow: String
        let argument: String
        let label: String
        var values: [String: MessageValue] = [:]
    }
}

extension SchoolHost {

    static let questions = ["thing1", "thing2", "wish"]
    /// How many choices one question offers at most; more would not fit a phone screen or a platform's limits.
    static let maximumOptions = 10

    // MARK: - Options

    mutating func options(_ source: String, session: Session) throws -> [Option] {
        switch source {
        case "languages":
            return languageOptions()
        case "children_to_book":
            let attended = Set(try tx.activeBookings(household: household).map(\.childID))
            return try tx.children(household: household).filter { !attended.contains($0.id) }.map {
                Option(id: $0.id, label: "booking.child_option", values: ["child": .text($0.firstName), "group": .text(school.group($0.groupID)?.name ?? $0.groupID)])
            }
        case "free_days":
            guard let child = try currentChild(session) else { return [] }
            let starts = try freeSlotStarts(for: child)
            let siblings = try siblingTalks(excluding: child.id)
            let siblingDays = Set(siblings.map { dayKey($0.start) })
            var days: [(key: String, date: Date)] = []
            for start in starts {
                let key = dayKey(start)
                if days.last?.key != key { days.append((key, start)) }
            }
            let ordered = days.filter { siblingDays.contains($0.key) } + days.filter { !siblingDays.contains($0.key) }
            let siblingName = siblings.first?.name ?? ""
            return ordered.prefix(Self.maximumOptions).map { day in
                siblingDays.contains(day.key)
                    ? Option(id: day.key, label: "booking.day_option_sibling", values: ["day": .day(day.date), "sibling": .text(siblingName)])
                    : Option(id: day.key, label: "booking.day_option", values: ["day": .day(day.date)])
            }
        case "free_times":
            guard let child = try currentChild(session), case .text(let day)? = session.vars["date"] else { return [] }
            let slots = try freeSlots(for: child, on: day)
            let siblings = try siblingTalks(excluding: child.id)
            let infos = slots.compactMap { slot in slot.id.map { SlotInfo(id: $0, teacherID: slot.teacherID, start: slot.startsAt, end: slot.endsAt) } }
            let ordered = BookingRules.orderForSiblings(infos, siblingTalks: siblings.map { ($0.start, $0.end) })
            let severalTeachers = school.teachers(ofGroup: child.groupID).count > 1
            return ordered.prefix(Self.maximumOptions).map { slot in
                let teacher = MessageValue.text(school.teacher(slot.teacherID)?.name ?? slot.teacherID)
                if let sibling = siblings.first(where: { BookingRules.areBackToBack((slot.start, slot.end), ($0.start, $0.end)) }) {
                    return Option(id: String(slot.id), label: "booking.time_option_sibling", values: ["time": .time(slot.start), "sibling": .text(sibling.name), "teacher": teacher])
                }
                return Option(id: String(slot.id), label: severalTeachers ? "booking.time_option_teacher" : "booking.time_option",
                              values: ["time": .time(slot.start), "teacher": teacher])
            }
        case "changeable_bookings":
            return try tx.activeBookings(household: household).filter(isChangeable).prefix(Self.maximumOptions).map {
                Option(id: String($0.bookingID), label: "move.talk_option", values: ["child": .text($0.childFirstName), "day": .day($0.startsAt), "time": .time($0.startsAt)])
            }
        case "people_counts":
            return peopleOptions()
        case "suitabilities":
            return suitabilityOptions()
        case "time_wishes":
            return wishOptions()
        case "pretalk_children":
            return try pretalkBookings().map { Option(id: $0.childID, label: "pretalk.child_option", values: ["child": .text($0.childFirstName)]) }
        default:
            guard let options = try buddyOptions(source, session: session) else { throw DialogueError(description: "unknown option source '\(source)'") }
            return options
        }
    }

    // MARK: - Actions

    mutating func perform(_ action: String, session: inout Session) throws -> String {
        if let outcome = performShared(action, session: &session) {
            // Whether anyone of the household still wants messages decides its reminders.
            if action != "set_language" {
                changedHouseholds.insert(household)
                reachabilityChanged = true
            }
            if action == "stop_messages" {
                // Stored now, so the buddies see this household as gone: its pairings end kindly for the other.
                try tx.updateContact(contact)
                try proposeBuddiesAfter(unreachable: household)
            }
            return outcome
        }
        switch action {
        case "summarise_household":
            // The menu is a fresh start: forget what an earlier flow chose.
            session.vars = session.vars.filter { ["school"].contains($0.key) }
            let bookings = try tx.activeBookings(household: household)
            session.vars["talks"] = .text(bookings.map { talkLine($0) }.joined(separator: "\n"))
            let children = try tx.children(household: household)
            if bookings.isEmpty { return "none_booked" }
            return Set(bookings.map(\.childID)).isSuperset(of: children.map(\.id)) ? "all_booked" : "some_booked"
        case "check_booking_open":
            session.vars["opens"] = .day(school.booking.opens)
            session.vars["closes"] = .day(school.booking.closes)
            if school.booking.collectsPreferences(at: now) { return "preferences" }
            // A preference round's plan is published by staff after it closes; until then there is nothing to book.
            if school.booking.round == .preferenceRound, now >= school.booking.closes,
               try tx.planningRound(id: PlanningRound.id(school))?.publishedAt == nil { return "planning" }
            return school.booking.isOpen(at: now) ? "open" : "closed"
        case "select_child":
            guard let child = try currentChild(session) else { throw DialogueError(description: "select_child without a child") }
            describe(child: child, into: &session)
            if school.booking.separatedHouseholds == .jointTalk, let other = try tx.activeBookings(child: child.id).first {
                session.vars["booking"] = .text(String(other.bookingID))
                describe(booking: other, into: &session)
                return "joint_available"
            }
            return "ok"
        case "join_booking":
            // Not yet an attendee, so `selectedBooking` would refuse it: check instead that the talk is about our child.
            guard case .text(let text)? = session.vars["booking"], let id = Int64(text), let booking = try tx.activeBooking(id: id),
                  try currentChild(session)?.id == booking.childID else { return "gone" }
            try tx.attend(bookingID: booking.bookingID, householdID: household)
            describe(booking: booking, into: &session)
            try talksChanged(child: booking.childID)
            return "ok"
        case "book":
            guard let child = try currentChild(session), let slot = try selectedSlot(session) else { return "taken" }
            guard BookingRules.isChangeable(slotStart: slot.startsAt, now: now, settings: school.booking) else { return "closed" }
            switch try tx.book(slotID: slot.id ?? 0, childID: child.id, householdID: household, scope: scope(child: child.id),
                               icsToken: Self.newToken(), at: now) {
            case .booked(let booking):
                if let details = try tx.booking(id: booking.id ?? 0) {
                    describe(booking: details, into: &session)
                    try notifyOtherHouseholds(.booked, details)
                }
                try talksChanged(child: child.id)
                return "ok"
            case .slotTaken:
                return "taken"
            case .alreadyBooked:
                return "already"
            }
        case "select_booking":
            guard let booking = try selectedBooking(session) else { return "too_late" }
            describe(booking: booking, into: &session)
            session.vars["child_id"] = .text(booking.childID)
            return isChangeable(booking) ? "ok" : "too_late"
        case "move_booking":
            guard let old = try selectedBooking(session), isChangeable(old) else { return "closed" }
            guard let slot = try selectedSlot(session) else { return "taken" }
            guard BookingRules.isChangeable(slotStart: slot.startsAt, now: now, settings: school.booking) else { return "closed" }
            switch try tx.moveBooking(id: old.bookingID, toSlot: slot.id ?? 0, icsToken: Self.newToken(), at: now) {
            case .booked(let booking):
                if let details = try tx.booking(id: booking.id ?? 0) {
                    describe(booking: details, into: &session)
                    try notifyOtherHouseholds(.moved, details)
                }
                try talksChanged(child: old.childID)
                return "ok"
            case .slotTaken, .alreadyBooked:
                return "taken"
            }
        case "cancel_booking":
            guard let booking = try selectedBooking(session), isChangeable(booking) else { return "closed" }
            let attendees = try tx.attendees(booking: booking.bookingID)
            if booking.householdID != household, attendees.count > 1 {
                try tx.leave(bookingID: booking.bookingID, householdID: household)  // a joined household leaves; the talk stays
            } else {
                try tx.cancelBooking(id: booking.bookingID, at: now)
                try notifyOtherHouseholds(.cancelled, booking)
            }
            try talksChanged(child: booking.childID)
            return "ok"
        case "pretalk_child":
            let eligible = try pretalkBookings()
            if case .text(let id)? = session.vars["child_id"], let booking = eligible.first(where: { $0.childID == id }) {
                try startQuestions(for: booking, into: &session)
                return "ok"
            }
            session.vars["child_id"] = nil
            if eligible.count == 1, let booking = eligible.first {
                try startQuestions(for: booking, into: &session)
                return "ok"
            }
            return eligible.isEmpty ? "none" : "choose"
        case "save_answers":
            guard case .text(let childID)? = session.vars["child_id"] else { return "ok" }
            if try pretalkBookings().contains(where: { $0.childID == childID }) {
                for question in Self.questions {
                    if case .text(let answer)? = session.vars[question] {
                        try tx.saveAnswer(childID: childID, householdID: household, question: question,
                                          answer: String(answer.prefix(maximumInboundTextLength)), at: now)
                    }
                }
            }
            for question in Self.questions { session.vars[question] = nil }
            try refreshCurrentAnswers(childID: childID, into: &session)
            return "ok"
        default:
            if let outcome = try performAgreementAction(action, session: &session) ?? performReceptionAction(action, session: &session)
                ?? performPreferenceAction(action, session: &session) ?? performBuddyAction(action, session: &session) { return outcome }
            throw DialogueError(description: "unknown action '\(action)'")
        }
    }

    // MARK: - Helpers

    /// Every household of the child: with joint talks another household may attend, and its reminders change too.
    mutating func talksChanged(child: String) throws {
        changedHouseholds.formUnion(try tx.households(ofChild: child))
    }

    /// With joint talks, the child's other household shares (or may join) this talk, so it hears of every change.
    mutating func notifyOtherHouseholds(_ kind: Notice.Kind, _ booking: BookingDetails) throws {
        guard school.booking.separatedHouseholds == .jointTalk else { return }
        for other in try tx.households(ofChild: booking.childID) where other != household {
            notices.append(Notice(recipient: .household(other), key: kind.messageKey, values: Self.values(of: booking, school: school)))
        }
    }

    /// The values a talk's messages use: child, day, time, teacher, place.
    static func values(of booking: BookingDetails, school: School) -> [String: MessageValue] {
        ["child": .text(booking.childFirstName), "day": .day(booking.startsAt), "time": .time(booking.startsAt),
         "teacher": .text(school.teacher(booking.teacherID)?.name ?? booking.teacherID), "place": .text(booking.place)]
    }

    func currentChild(_ session: Session) throws -> ChildRecord? {
        guard case .text(let id)? = session.vars["child_id"] else { return nil }
        // Only this household's children: a forged id from a stale button must not reach another family.
        return try tx.children(household: household).first { $0.id == id }
    }

    func selectedSlot(_ session: Session) throws -> SlotRecord? {
        guard case .text(let text)? = session.vars["slot"], let id = Int64(text), let slot = try tx.slot(id: id), slot.active else { return nil }
        return slot
    }

    func selectedBooking(_ session: Session) throws -> BookingDetails? {
        guard case .text(let text)? = session.vars["booking"], let id = Int64(text), let booking = try tx.activeBooking(id: id),
              try tx.attendees(booking: id).contains(household) else { return nil }
        return booking
    }

    /// When the free slots of the child's teachers start: what the days on offer are made of.
    func freeSlotStarts(for child: ChildRecord) throws -> [Date] {
        try tx.freeSlotStarts(teacherIDs: school.teachers(ofGroup: child.groupID).map(\.id), from: now.addingTimeInterval(BookingRules.minimumNotice))
    }

    /// The free slots of the child's teachers on `day` ("2026-09-14"); only that day's slots are read.
    func freeSlots(for child: ChildRecord, on day: String) throws -> [SlotRecord] {
        guard let schoolDay = SchoolDay(day) else { return [] }
        let start = max(now.addingTimeInterval(BookingRules.minimumNotice), schoolDay.at(minuteOfDay: 0, in: school.calendar))
        let end = schoolDay.adding(days: 1).at(minuteOfDay: 0, in: school.calendar)
        return try tx.freeSlots(teacherIDs: school.teachers(ofGroup: child.groupID).map(\.id), from: start, until: end)
            .filter { dayKey($0.startsAt) == day }
    }

    /// Talks already planned for this household's other children: the basis for back-to-back offers.
    func siblingTalks(excluding childID: String) throws -> [(name: String, start: Date, end: Date)] {
        try tx.activeBookings(household: household).filter { $0.childID != childID }.map { ($0.childFirstName, $0.startsAt, $0.endsAt) }
    }

    func pretalkBookings() throws -> [BookingDetails] {
        var seen = Set<String>()
        return try tx.activeBookings(household: household).filter { $0.startsAt > now && seen.insert($0.childID).inserted }
    }

    func isChangeable(_ booking: BookingDetails) -> Bool {
        BookingRules.isChangeable(slotStart: booking.startsAt, now: now, settings: school.booking)
    }

    func scope(child: String) -> String { Self.scope(child: child, household: household, school: school) }

    /// What a talk is unique for: the child, or with separated parents who come apart the child and the household.
    static func scope(child: String, household: Int64, school: School) -> String {
        school.booking.separatedHouseholds == .jointTalk ? "child:\(child)" : "child:\(child)/household:\(household)"
    }

    func dayKey(_ date: Date) -> String { dayKeys.key(date) }

    func talkLine(_ booking: BookingDetails) -> String {
        localizer.text("menu.talk_line", Self.values(of: booking, school: school), language: language)
    }

    func describe(child: ChildRecord, into session: inout Session) {
        session.vars["child"] = .text(child.firstName)
        session.vars["group"] = .text(school.group(child.groupID)?.name ?? child.groupID)
        session.vars["teacher"] = .text(school.teachers(ofGroup: child.groupID).map(\.name).joined(separator: " / "))
    }

    func describe(booking: BookingDetails, into session: inout Session) {
        session.vars["child"] = .text(booking.childFirstName)
        session.vars["day"] = .day(booking.startsAt)
        session.vars["time"] = .time(booking.startsAt)
        session.vars["teacher"] = .text(school.teacher(booking.teacherID)?.name ?? booking.teacherID)
        session.vars["place"] = .text(booking.place)
        session.vars["ics_url"] = .text("\(publicURL)/ics/\(booking.icsToken).ics")
    }

    func startQuestions(for booking: BookingDetails, into session: inout Session) throws {
        session.vars["child_id"] = .text(booking.childID)
        session.vars["child"] = .text(booking.childFirstName)
        try refreshCurrentAnswers(childID: booking.childID, into: &session)
    }

    func refreshCurrentAnswers(childID: String, into session: inout Session) throws {
        let answers = try tx.answers(childID: childID, householdID: household)
        for question in Self.questions {
            session.vars["current_" + question] = .text(answers[question].map { localizer.text("pretalk.current", ["answer": .text($0)], language: language) } ?? "")
        }
    }

    /// 128 random bits as 32 lowercase hex digits (URL-safe): the secret in a booking's calendar link.
    static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        return [rng.next() as UInt64, rng.next() as UInt64].map { half in
            let digits = String(half, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }
}
