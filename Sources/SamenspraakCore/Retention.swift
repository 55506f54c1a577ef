import Foundation

/// How long conversation messages (the inbox and outbox: what parents, teachers and school wrote each other in the chat)
/// are kept: the AVG asks that they are kept no longer than needed. Answers to the preparation questions, agreements and
/// check-ins are not messages: they belong to the talk and the communicatieplan and go at the school-year rollover. Nor
/// is a chat's conversation state, which holds copies of those answers while they are given; it starts afresh then too.
public enum Retention: Sendable, Equatable {
    /// A school year's messages are deleted this many days after the year ends.
    case endOfSchoolYearPlus(days: Int)
    /// Every message is deleted this many days after it was sent or received.
    case days(Int)

    public static let standard = Retention.endOfSchoolYearPlus(days: 30)
    /// The weekly cap on reminders counts the messages of the last seven days: a shorter period would let more through.
    public static let minimumDays = 7
    /// A web chat reply is delivered when the parent's browser fetches it; one still not fetched after this many days
    /// (the page was closed and not opened again) is marked expired by the purge, so it no longer counts as outbox
    /// depth and goes with the other messages once they are old enough. A page opened later still shows it until then.
    /// A week: the weekly cap on reminders counts the last seven days' messages, and expiring leaves those alone.
    public static let unfetchedWebChatDays = 7

    /// Messages from before this moment are to be deleted at `now`.
    public func cutoff(now: Date, school: School) -> Date {
        let calendar = school.calendar
        switch self {
        case .days(let days):
            return calendar.date(byAdding: .day, value: -days, to: now)!
        case .endOfSchoolYearPlus(let days):
            // The school file describes one year; the years before and after it are taken to end on the same day, so a
            // daemon left running into the next year, or a database with older years in it, is purged all the same.
            func purgedFrom(_ end: Date) -> Date { calendar.date(byAdding: .day, value: days, to: end)! }
            var end = school.schoolYearEnd.at(minuteOfDay: 0, in: calendar)
            while purgedFrom(end) > now { end = calendar.date(byAdding: .year, value: -1, to: end)! }
            while case let next = calendar.date(byAdding: .year, value: 1, to: end)!, purgedFrom(next) <= now { end = next }
            return end
        }
    }
}

extension School {
    /// The first day after the school year the school file describes: the first day of the summer holiday (the
    /// holiday `summer` in `calendar:`), else 1 August (a Dutch school year ends by 31 July).
    public var schoolYearEnd: SchoolDay {
        let opens = SchoolDay(booking.opens, in: calendar)
        if let summer = year.holiday("summer"), summer.first > opens { return summer.first }
        return SchoolDay(year: SchoolYear.firstCalendarYear(containing: opens) + 1, month: 8, day: 1)
    }
}

extension SchoolYear {
    /// "2026-2027": the name of the school year `day` falls in (1 August to 31 July).
    public static func name(containing day: SchoolDay) -> String {
        let first = firstCalendarYear(containing: day)
        return "\(first)-\(first + 1)"
    }

    static func firstCalendarYear(containing day: SchoolDay) -> Int { day.month >= 8 ? day.year : day.year - 1 }
}

/// How long the rollover's copy of a finished school year (`archive/2026-2027.sqlite`) is kept. It holds that year's
/// families, talks, answers, agreements and messages, also of families who left, so it goes when its purpose does:
/// looking back on the previous year (what was agreed, who came) while the next one runs. By default it is deleted on
/// 1 August one year after its school year ended (the archive of 2026-2027 on 1 August 2028).
public enum ArchiveRetention {
    public static let defaultYears = 1
    public static let allowedYears = 1...10

    /// The first calendar year of the school year an archive file holds ("2026-2027.sqlite" → 2026); nil for any
    /// other file, which is never touched.
    public static func firstYear(ofFile name: String) -> Int? {
        guard name.hasSuffix(".sqlite") else { return nil }
        let parts = name.dropLast(".sqlite".count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 4 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let first = Int(parts[0]), let second = Int(parts[1]), second == first + 1 else { return nil }
        return first
    }

    /// The day the archive of the school year starting in `firstYear` is deleted from, kept `years` after it ended.
    public static func deletedFrom(firstYear: Int, years: Int) -> SchoolDay { SchoolDay(year: firstYear + 1 + years, month: 8, day: 1) }
}
