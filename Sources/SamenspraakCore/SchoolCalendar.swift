import Foundation

extension Calendar {
    /// The Gregorian calendar in `zone`: a school's days and times always mean its own wall clock.
    public static func gregorian(in zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    /// "2026-09-01": the day `date` falls on here, as the school file writes days.
    public func dayKey(_ date: Date) -> String {
        let parts = dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// "14:30": the wall-clock time of `date` here, as the school file writes times.
    public func clockTime(_ date: Date) -> String {
        let parts = dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
    }
}

/// A day on the school's calendar, without a time: what reports, holidays and agreed moments are made of.
public struct SchoolDay: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        (self.year, self.month, self.day) = (year, month, day)
    }

    /// "2026-09-01"; nil unless it is a real day written like that.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2], (1900...2999).contains(year),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        let calendar = Calendar.gregorian(in: TimeZone(identifier: "UTC")!)
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
              calendar.component(.day, from: date) == day else { return nil }  // no 31 June
        self.init(year: year, month: month, day: day)
    }

    /// The day `date` falls on in `calendar`'s time zone.
    public init(_ date: Date, in calendar: Calendar) {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        self.init(year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0)
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    public static func < (lhs: SchoolDay, rhs: SchoolDay) -> Bool { (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day) }

    /// The moment `minuteOfDay` minutes after midnight on this day, on the school's wall clock.
    public func at(minuteOfDay: Int, in calendar: Calendar) -> Date {
        calendar.date(from: DateComponents(year: year, month: month, day: day, hour: minuteOfDay / 60, minute: minuteOfDay % 60))!
    }

    /// "14:30" → 870; nil unless it is a time of day written like that (as the school file and staff write times).
    public static func minuteOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let hour = parts[0], let minute = parts[1], (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        return hour * 60 + minute
    }

    public func adding(days: Int) -> SchoolDay {
        let calendar = Self.arithmetic
        return SchoolDay(calendar.date(byAdding: .day, value: days, to: at(minuteOfDay: 12 * 60, in: calendar))!, in: calendar)
    }

    /// 1 = Monday … 7 = Sunday.
    public var weekday: Int {
        let sundayFirst = Self.arithmetic.component(.weekday, from: at(minuteOfDay: 12 * 60, in: Self.arithmetic))
        return sundayFirst == 1 ? 7 : sundayFirst - 1
    }

    /// Day arithmetic needs no time zone: done at noon UTC, where no clock change can shift the day.
    static let arithmetic = Calendar.gregorian(in: TimeZone(identifier: "UTC")!)
}

/// The school year's dates that agreements refer to ("the week after report 1", "until the summer holiday"),
/// from the school file's `calendar:`.
public struct SchoolYear: Sendable, Equatable {
    public struct Report: Sendable, Equatable {
        public var id: String
        public var name: String
        public var day: SchoolDay
        public init(id: String, name: String, day: SchoolDay) { (self.id, self.name, self.day) = (id, name, day) }
    }

    public struct Holiday: Sendable, Equatable {
        public var id: String
        public var name: String
        public var first: SchoolDay
        public var last: SchoolDay
        public init(id: String, name: String, first: SchoolDay, last: SchoolDay) { (self.id, self.name, self.first, self.last) = (id, name, first, last) }
    }

    public var reports: [Report]
    public var holidays: [Holiday]
    public var childFreeDays: Set<SchoolDay>

    public init(reports: [Report] = [], holidays: [Holiday] = [], childFreeDays: Set<SchoolDay> = []) {
        (self.reports, self.holidays, self.childFreeDays) = (reports, holidays, childFreeDays)
    }

    public func report(_ id: String) -> Report? { reports.first { $0.id == id } }
    public func holiday(_ id: String) -> Holiday? { holidays.first { $0.id == id } }

    /// A weekday outside the holidays and not child-free: a day parents and teacher can be reached at school.
    public func isSchoolDay(_ day: SchoolDay) -> Bool {
        day.weekday <= 5 && !childFreeDays.contains(day) && !holidays.contains { $0.first <= day && day <= $0.last }
    }

    /// `day` itself when it is a school day, else the next one: an agreed moment in a holiday moves past it.
    public func schoolDay(onOrAfter day: SchoolDay) -> SchoolDay {
        var day = day
        for _ in 0..<400 where !isSchoolDay(day) { day = day.adding(days: 1) }
        return day
    }
}

extension MessageValue {
    /// A school day shown like any day ("dinsdag 1 juni"), taken at noon, where no clock change moves it to another day.
    public static func day(_ day: SchoolDay, in calendar: Calendar) -> MessageValue { .day(day.at(minuteOfDay: 12 * 60, in: calendar)) }
}
