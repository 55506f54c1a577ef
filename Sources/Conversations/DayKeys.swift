import Foundation
import SamenspraakCore

/// The day ("2026-11-30") of each talk time, remembered: the calendar arithmetic behind it is costly, and the same
/// few hundred slot times are grouped into days for every parent who asks for a day.
final class DayKeys: @unchecked Sendable {
    private let lock = NSLock()
    private let calendar: Calendar
    private var keys: [Date: String] = [:]

    init(calendar: Calendar) { self.calendar = calendar }

    func key(_ date: Date) -> String {
        lock.withLock {
            if let key = keys[date] { return key }
            if keys.count >= 100_000 { keys.removeAll(keepingCapacity: true) }
            let key = calendar.dayKey(date)
            keys[date] = key
            return key
        }
    }
}
