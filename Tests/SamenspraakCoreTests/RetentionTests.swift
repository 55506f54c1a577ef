import Foundation
import SamenspraakCore
import Testing

/// When messages are old enough to be deleted: by default 30 days after the end of the school year (the summer
/// holiday's first day, else 1 August), or a number of days after each message.
@Suite struct RetentionTests {
    let calendar = Calendar.gregorian(in: TimeZone(identifier: "Europe/Amsterdam")!)
    func day(_ text: String) -> Date { SchoolDay(text)!.at(minuteOfDay: 0, in: calendar) }
    func school(summerFrom first: String? = nil) -> School {
        var school = School(name: "S", timeZone: calendar.timeZone, languages: ["nl"],
                            booking: BookingSettings(opens: day("2026-08-24"), closes: day("2026-09-11")), teachers: [], groups: [])
        if let first {
            school.year = SchoolYear(holidays: [.init(id: "summer", name: "Zomervakantie", first: SchoolDay(first)!, last: SchoolDay("2027-08-29")!)])
        }
        return school
    }

    @Test func theSchoolYearEndsWithTheSummerHolidayOrOnTheLastDayOfJuly() {
        #expect(school(summerFrom: "2027-07-17").schoolYearEnd.description == "2027-07-17")
        #expect(school().schoolYearEnd.description == "2027-08-01")
        #expect(SchoolYear.name(containing: SchoolDay("2026-11-30")!) == "2026-2027")
        #expect(SchoolYear.name(containing: SchoolDay("2027-07-31")!) == "2026-2027")
        #expect(SchoolYear.name(containing: SchoolDay("2027-08-01")!) == "2027-2028")
    }

    @Test func aYearsMessagesGoThirtyDaysAfterItEnds() {
        let school = school(summerFrom: "2027-07-17")
        // During the year only the year before is due (taken to have ended on the same day).
        #expect(Retention.standard.cutoff(now: day("2026-11-23"), school: school) == day("2026-07-17"))
        #expect(Retention.standard.cutoff(now: day("2027-08-15"), school: school) == day("2026-07-17"))
        #expect(Retention.standard.cutoff(now: day("2027-08-16"), school: school) == day("2027-07-17"))
        // A daemon still running with this school file a year later keeps purging.
        #expect(Retention.standard.cutoff(now: day("2028-09-01"), school: school) == day("2028-07-17"))
        #expect(Retention.endOfSchoolYearPlus(days: 0).cutoff(now: day("2027-07-17"), school: school) == day("2027-07-17"))
    }

    @Test func aNumberOfDaysCountsFromEachMessage() {
        #expect(Retention.days(90).cutoff(now: day("2027-03-01"), school: school()) == day("2026-12-01"))
    }

    @Test func anArchiveIsKeptForItsYearsAfterItsSchoolYearEnded() {
        #expect(ArchiveRetention.firstYear(ofFile: "2026-2027.sqlite") == 2026)
        for other in ["2026-2028.sqlite", "2026-2027.sqlite-wal", "2026-2027.db", "notes.txt", "26-27.sqlite", "2026-2027-copy.sqlite", "+026-0027.sqlite"] {
            #expect(ArchiveRetention.firstYear(ofFile: other) == nil, "\(other) is no archive")
        }
        // The archive of 2026-2027 (ended 31 July 2027) is there throughout the next school year by default.
        #expect(ArchiveRetention.deletedFrom(firstYear: 2026, years: ArchiveRetention.defaultYears).description == "2028-08-01")
        #expect(ArchiveRetention.deletedFrom(firstYear: 2026, years: 2).description == "2029-08-01")
    }
}
