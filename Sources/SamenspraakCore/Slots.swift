import Foundation

/// One bookable talk time of one teacher, before it is stored.
public struct SlotTemplate: Sendable, Equatable, Hashable {
    public var teacherID: String
    public var start: Date
    public var end: Date
    public var kind: BlockKind
    public var place: String

    public init(teacherID: String, start: Date, end: Date, kind: BlockKind, place: String) {
        self.teacherID = teacherID
        self.start = start
        self.end = end
        self.kind = kind
        self.place = place
    }
}

public enum SlotGenerator {
    /// Cuts every availability block into talks of `talkMinutes`, each followed by `bufferMinutes`;
    /// a talk must end within its block. Overlapping blocks of one teacher never yield overlapping slots.
    public static func slots(for school: School) -> [SlotTemplate] {
        let talk = TimeInterval(school.booking.talkMinutes * 60)
        let step = TimeInterval((school.booking.talkMinutes + school.booking.bufferMinutes) * 60)
        guard talk > 0, step > 0 else { return [] }
        var result: [SlotTemplate] = []
        for teacher in school.teachers {
            var lastEnd = Date.distantPast
            for block in teacher.availability.sorted(by: { $0.start < $1.start }) {
                var start = max(block.start, lastEnd)
                while start.addingTimeInterval(talk) <= block.end {
                    let end = start.addingTimeInterval(talk)
                    result.append(SlotTemplate(teacherID: teacher.id, start: start, end: end, kind: block.kind, place: teacher.place))
                    lastEnd = start.addingTimeInterval(step)
                    start = lastEnd
                }
            }
        }
        return result.sorted { ($0.start, $0.teacherID) < ($1.start, $1.teacherID) }
    }
}

/// A talk time as the booking rules see it.
public struct SlotInfo: Sendable, Equatable {
    public var id: Int64
    public var teacherID: String
    public var start: Date
    public var end: Date

    public init(id: Int64, teacherID: String, start: Date, end: Date) {
        self.id = id
        self.teacherID = teacherID
        self.start = start
        self.end = end
    }
}

public enum BookingRules {
    /// Talks cannot be booked or moved this close to their start.
    public static let minimumNotice: TimeInterval = 2 * 3600
    /// The longest gap between two siblings' talks that still counts as back to back (room change included).
    public static let backToBackGap: TimeInterval = 15 * 60

    /// Whether a parent may still book, move or cancel into or out of `slot` at `now`.
    public static func isChangeable(slotStart: Date, now: Date, settings: BookingSettings) -> Bool {
        settings.isOpen(at: now) && slotStart.timeIntervalSince(now) >= minimumNotice
    }

    /// Whether two talks follow each other closely enough for a family to attend both in one visit.
    public static func areBackToBack(_ a: (start: Date, end: Date), _ b: (start: Date, end: Date)) -> Bool {
        let gapAfter = b.start.timeIntervalSince(a.end)
        let gapBefore = a.start.timeIntervalSince(b.end)
        return (gapAfter >= 0 && gapAfter <= backToBackGap) || (gapBefore >= 0 && gapBefore <= backToBackGap)
    }

    /// Orders free slots so that those back to back with a sibling's talk come first, then by time.
    public static func orderForSiblings(_ slots: [SlotInfo], siblingTalks: [(start: Date, end: Date)]) -> [SlotInfo] {
        func adjacent(_ s: SlotInfo) -> Bool { siblingTalks.contains { areBackToBack((s.start, s.end), $0) } }
        return slots.enumerated().sorted { lhs, rhs in
            let (l, r) = (adjacent(lhs.element), adjacent(rhs.element))
            if l != r { return l }
            return (lhs.element.start, lhs.offset) < (rhs.element.start, rhs.offset)
        }.map(\.element)
    }
}
