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
