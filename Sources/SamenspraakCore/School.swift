import Foundation

/// The school as described by staff in the school file: groups, teachers, availability and booking rules.
public struct School: Sendable, Equatable {
    public var name: String
    public var timeZone: TimeZone { didSet { calendar = .gregorian(in: timeZone) } }
    /// The Gregorian calendar in the school's time zone, made once (it is used for every slot offered).
    public private(set) var calendar: Calendar
    /// Languages offered to parents, in the order they are shown; the first is the school's own.
    public var languages: [String]
    public var booking: BookingSettings
    /// When reminders and nudges may go out.
    public var unprompted = UnpromptedPolicy()
    /// Reports, holidays and child-free days: what agreed moments refer to.
    public var year = SchoolYear()
    /// The groups' nieuwjaarsrecepties.
    public var receptions: [Reception] = []
    public var teachers: [Teacher] { didSet { teacherPositions = Self.positions(of: teachers.map(\.id)) } }
    public var groups: [Group] { didSet { groupPositions = Self.positions(of: groups.map(\.id)) } }
    /// Where each id stands in `teachers` and `groups` (the first, if an id repeats): looked up at every step.
    private var teacherPositions: [String: Int]
    private var groupPositions: [String: Int]

    public init(
        name: String, timeZone: TimeZone, languages: [String], booking: BookingSettings, teachers: [Teacher], groups: [Group]
    ) {
        self.name = name
        self.timeZone = timeZone
        self.calendar = .gregorian(in: timeZone)
        self.languages = languages
        self.booking = booking
        self.teachers = teachers
        self.groups = groups
        teacherPositions = Self.positions(of: teachers.map(\.id))
        groupPositions = Self.positions(of: groups.map(\.id))
    }

    private static func positions(of ids: [String]) -> [String: Int] {
        Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func teacher(_ id: String) -> Teacher? { teacherPositions[id].map { teachers[$0] } }
    public func group(_ id: String) -> Group? { groupPositions[id].map { groups[$0] } }
    /// The groups a teacher teaches (one, or two part-time).
    public func groups(ofTeacher id: String) -> [Group] { groups.filter { $0.teacherIDs.contains(id) } }

    /// Teachers of a group; a group can have two part-time teachers.
    public func teachers(ofGroup id: String) -> [Teacher] {
        guard let group = group(id) else { return [] }
        return group.teacherIDs.compactMap(teacher)
    }
}

/// How talks are booked this round.
public struct BookingSettings: Sendable, Equatable {
    public var opens: Date
    public var closes: Date
    public var talkMinutes: Int
    public var bufferMinutes: Int
    /// What happens when a child's separated parents form two households.
    public var separatedHouseholds: SeparatedHouseholdsPolicy
    /// When households without a booking are reminded to book (at most two); nil: the default moments.
    public var nudges: [Date]?
    /// First come, first served, or a fair planning round from the households' preferences.
    public var round: BookingRound = .firstCome
    /// In a preference round: parents move and cancel their planned talks themselves until then.
    public var changesUntil: Date?

    public init(opens: Date, closes: Date, talkMinutes: Int = 20, bufferMinutes: Int = 5, separatedHouseholds: SeparatedHouseholdsPolicy = .separateTalks) {
        self.opens = opens
        self.closes = closes
        self.talkMinutes = talkMinutes
        self.bufferMinutes = bufferMinutes
        self.separatedHouseholds = separatedHouseholds
    }

    /// Whether parents may book, move and cancel themselves: in the window; in a preference round from its close (the
    /// plan is published then) until `changesUntil`.
    public func isOpen(at now: Date) -> Bool {
        switch round {
        case .firstCome: now >= opens && now < closes
        case .preferenceRound: now >= closes && now < (changesUntil ?? closes)
        }
    }

    /// Whether households give their preferences now (a preference round between `opens` and `closes`).
    public func collectsPreferences(at now: Date) -> Bool { round == .preferenceRound && now >= opens && now < closes }

    /// At most two nudges in the window: those of the school file, else two days after opening and two days
    /// before closing (each moved out of quiet hours); a nudge too close to another or to closing is dropped.
    public func nudgeMoments(policy: UnpromptedPolicy, calendar: Calendar) -> [Date] {
        let day: TimeInterval = 24 * 3600
        let wanted = nudges ?? [opens + 2 * day, closes - 2 * day].map { policy.nextAllowed(from: $0, calendar: calendar) }
        var moments: [Date] = []
        for moment in wanted.sorted() where moment >= opens && moment <= closes - day / 4 {
            if let last = moments.last, moment.timeIntervalSince(last) < day { continue }
            moments.append(moment)
        }
        return Array(moments.prefix(2))
    }
}

public enum SeparatedHouseholdsPolicy: String, Sendable, Equatable, CaseIterable {
    /// Each household books its own talk for the child.
    case separateTalks = "separate"
    /// One talk per child; the second household joins the first one's talk.
    case jointTalk = "joint"
}

public struct Teacher: Sendable, Equatable {
    public var id: String
    public var name: String
    public var place: String
    public var availability: [AvailabilityBlock]

    public init(id: String, name: String, place: String, availability: [AvailabilityBlock]) {
        self.id = id
        self.name = name
        self.place = place
        self.availability = availability
    }
}

public struct Group: Sendable, Equatable {
    public var id: String
    public var name: String
    public var teacherIDs: [String]

    public init(id: String, name: String, teacherIDs: [String]) {
        self.id = id
        self.name = name
        self.teacherIDs = teacherIDs
    }
}

/// A stretch of time a teacher keeps free for talks.
public struct AvailabilityBlock: Sendable, Equatable {
    public var kind: BlockKind
    public var start: Date
    public var end: Date

    public init(kind: BlockKind, start: Date, end: Date) {
        self.kind = kind
        self.start = start
        self.end = end
    }
}

public enum BlockKind: String, Sendable, Equatable, CaseIterable, Codable {
    case afterSchool = "after_school"
    case evening
    case childFreeDay = "child_free_day"
}

/// How a round's talks are given out, chosen in the school file.
public enum BookingRound: String, Sendable, Equatable, CaseIterable {
    /// Each household books a free time itself, in the order they come.
    case firstCome = "first-come"
    /// Households say which blocks suit them; when the round closes the whole school is planned at once.
    case preferenceRound = "preference-round"
}

/// What a household rates in a preference round: one kind of time on one day ("Tue 9 Sept after school"), over all
/// teachers who keep it free.
public struct PreferenceBlock: Sendable, Equatable, Hashable, Comparable {
    public var day: SchoolDay
    public var kind: BlockKind
    /// When the first of its teachers' times starts (for sorting and for saying the day).
    public var start: Date

    public init(day: SchoolDay, kind: BlockKind, start: Date) { (self.day, self.kind, self.start) = (day, kind, start) }

    /// Stable over edits of the school file: "2026-09-01/after_school".
    public var id: String { "\(day)/\(kind.rawValue)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.start, lhs.kind.rawValue) < (rhs.start, rhs.kind.rawValue) }
}

extension School {
    /// The blocks the given teachers keep free for talks, in time order.
    public func preferenceBlocks(teachers ids: Set<String>) -> [PreferenceBlock] {
        var earliest: [String: PreferenceBlock] = [:]
        for teacher in teachers where ids.contains(teacher.id) {
            for availability in teacher.availability {
                let block = PreferenceBlock(day: SchoolDay(availability.start, in: calendar), kind: availability.kind, start: availability.start)
                if let known = earliest[block.id], known.start <= block.start { continue }
                earliest[block.id] = block
            }
        }
        return earliest.values.sorted()
    }

    /// The block a talk time belongs to, by its day and kind.
    public func preferenceBlockID(start: Date, kind: BlockKind) -> String { "\(SchoolDay(start, in: calendar))/\(kind.rawValue)" }
}

/// A group's nieuwjaarsreceptie: an informal hour in which parents meet each other and the teacher(s).
public struct Reception: Sendable, Equatable {
    public var id: String
    public var groupID: String
    public var start: Date
    public var end: Date
    public var place: String
    /// E.g. "Broertjes en zusjes zijn welkom", shown as written.
    public var note: String?

    public init(id: String, groupID: String, start: Date, end: Date, place: String, note: String? = nil) {
        (self.id, self.groupID, self.start, self.end, self.place, self.note) = (id, groupID, start, end, place, note)
    }
}
