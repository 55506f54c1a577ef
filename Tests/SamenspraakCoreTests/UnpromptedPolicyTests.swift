import Foundation
import SamenspraakCore
import Testing

/// Quiet hours, weekends and reminder moments in Amsterdam, across both daylight saving changes of 2026
/// (29 March: 02:00 → 03:00; 25 October: 03:00 → 02:00).
@Suite struct UnpromptedPolicyTests {
    let calendar = Calendar.gregorian(in: TimeZone(identifier: "Europe/Amsterdam")!)
    let policy = UnpromptedPolicy()

    func at(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
    }

    @Test func eveningsNightsAndWeekendsAreQuiet() {
        #expect(!policy.isQuiet(at(2026, 11, 24, 8), calendar: calendar))
        #expect(!policy.isQuiet(at(2026, 11, 24, 20, 59), calendar: calendar))
        #expect(policy.isQuiet(at(2026, 11, 24, 21), calendar: calendar))
        #expect(policy.isQuiet(at(2026, 11, 25, 7, 59), calendar: calendar))
        #expect(policy.isQuiet(at(2026, 11, 28, 12), calendar: calendar))   // Saturday
        #expect(policy.isQuiet(at(2026, 11, 29, 12), calendar: calendar))   // Sunday
        let noWeekends = UnpromptedPolicy(quietWeekends: false)
        #expect(!noWeekends.isQuiet(at(2026, 11, 28, 12), calendar: calendar))
    }

    @Test func theNextAllowedMomentIsTheNextSchoolMorningAtEight() {
        #expect(policy.nextAllowed(from: at(2026, 11, 24, 10), calendar: calendar) == at(2026, 11, 24, 10))
        #expect(policy.nextAllowed(from: at(2026, 11, 24, 22), calendar: calendar) == at(2026, 11, 25, 8))
        #expect(policy.nextAllowed(from: at(2026, 11, 25, 3), calendar: calendar) == at(2026, 11, 25, 8))
        #expect(policy.nextAllowed(from: at(2026, 11, 27, 21, 30), calendar: calendar) == at(2026, 11, 30, 8))   // Friday night → Monday
        // Over the night the clocks go forward, and over the one they go back.
        #expect(policy.nextAllowed(from: at(2026, 3, 27, 22), calendar: calendar) == at(2026, 3, 30, 8))
        #expect(policy.nextAllowed(from: at(2026, 10, 23, 22), calendar: calendar) == at(2026, 10, 26, 8))
        #expect(calendar.component(.hour, from: policy.nextAllowed(from: at(2026, 10, 24, 1), calendar: calendar)) == 8)
    }

    @Test func aReminderComesTheSchoolDayBeforeAtTheSameTimeOfDay() {
        // Tuesday's talk: Monday, same time.
        #expect(policy.reminderMoment(before: at(2026, 12, 1, 15, 30), calendar: calendar) == at(2026, 11, 30, 15, 30))
        // Monday's talk: Friday, not at the weekend.
        #expect(policy.reminderMoment(before: at(2026, 11, 30, 15, 30), calendar: calendar) == at(2026, 11, 27, 15, 30))
        // A talk at 07:45: the reminder waits for the morning (still the day before).
        #expect(policy.reminderMoment(before: at(2026, 12, 2, 7, 45), calendar: calendar) == at(2026, 12, 1, 8))
        // The Monday after a clock change: Friday at the same wall-clock time, though 71 or 73 hours earlier.
        #expect(policy.reminderMoment(before: at(2026, 3, 30, 19), calendar: calendar) == at(2026, 3, 27, 19))
        #expect(policy.reminderMoment(before: at(2026, 10, 26, 19), calendar: calendar) == at(2026, 10, 23, 19))
    }

    @Test func nudgesFallInTheWindowAtMostTwoAndNotTooClose() {
        let opens = at(2026, 11, 22, 0), closes = at(2026, 12, 10, 21)
        var booking = BookingSettings(opens: opens, closes: closes)
        #expect(booking.nudgeMoments(policy: policy, calendar: calendar) == [at(2026, 11, 24, 8), at(2026, 12, 9, 8)])
        booking.nudges = [at(2026, 11, 25, 16), at(2026, 11, 25, 18), at(2026, 12, 1, 16)]
        #expect(booking.nudgeMoments(policy: policy, calendar: calendar) == [at(2026, 11, 25, 16), at(2026, 12, 1, 16)])
        // A window of three days has room for one.
        let short = BookingSettings(opens: opens, closes: at(2026, 11, 25, 12))
        #expect(short.nudgeMoments(policy: policy, calendar: calendar).count == 1)
    }
}
