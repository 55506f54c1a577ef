import Foundation

/// When the school may send a message nobody asked for (a reminder, a nudge, a check-in): not during quiet
/// hours, not at weekends, and not more than a few a week to one parent. Replies to a parent's own message are
/// never held back by any of this.
public struct UnpromptedPolicy: Sendable, Equatable {
    /// Quiet from this many minutes after midnight until `quietUntil` (the next morning when it is smaller).
    public var quietFrom: Int
    public var quietUntil: Int
    public var quietWeekends: Bool
    /// At most this many unprompted messages to one address in any seven days.
    public var perWeek: Int

    public init(quietFrom: Int = 21 * 60, quietUntil: Int = 8 * 60, quietWeekends: Bool = true, perWeek: Int = 2) {
        self.quietFrom = quietFrom
        self.quietUntil = quietUntil
        self.quietWeekends = quietWeekends
        self.perWeek = perWeek
    }

    public func isQuiet(_ date: Date, calendar: Calendar) -> Bool {
        isQuietDay(date, calendar: calendar) || isQuietTime(date, calendar: calendar)
    }

    /// The first moment at or after `date` that is not quiet.
    public func nextAllowed(from date: Date, calendar: Calendar) -> Date {
        var moment = date
        // Each pass skips one quiet stretch; a week of them is more than any setting can chain.
        for _ in 0..<16 {
            if isQuietDay(moment, calendar: calendar) {
                moment = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: moment)) ?? moment
            } else if isQuietTime(moment, calendar: calendar) {
                let minute = minuteOfDay(moment, calendar: calendar)
                let day = minute < quietUntil ? moment : (calendar.date(byAdding: .day, value: 1, to: moment) ?? moment)
                moment = calendar.date(bySettingHour: quietUntil / 60, minute: quietUntil % 60, second: 0, of: day) ?? moment
            } else {
                return moment
            }
        }
        return moment
    }

    /// When to remind someone of something at `moment`: the same time of day one day earlier, or on the last
    /// earlier day that is not quiet (a Monday talk is recalled on Friday); a time in the night moves to morning.
    public func reminderMoment(before moment: Date, calendar: Calendar) -> Date {
        var candidate = calendar.date(byAdding: .day, value: -1, to: moment) ?? moment
        for _ in 0..<7 where isQuietDay(candidate, calendar: calendar) {
            candidate = calendar.date(byAdding: .day, value: -1, to: candidate) ?? candidate
        }
        return nextAllowed(from: candidate, calendar: calendar)
    }

    func isQuietDay(_ date: Date, calendar: Calendar) -> Bool {
        quietWeekends && calendar.isDateInWeekend(date)
    }

    func isQuietTime(_ date: Date, calendar: Calendar) -> Bool {
        let minute = minuteOfDay(date, calendar: calendar)
        if quietFrom == quietUntil { return false }
        return quietFrom > quietUntil ? (minute >= quietFrom || minute < quietUntil) : (minute >= quietFrom && minute < quietUntil)
    }

    func minuteOfDay(_ date: Date, calendar: Calendar) -> Int {
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
    }
}
