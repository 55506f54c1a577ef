import Foundation
import SamenspraakCore
import Testing

/// "When" in an agreement: dates, the week after a report, early in a month and repetitions, resolved on the
/// school's calendar; a moment in a holiday or on a child-free day moves to the next school day.
@Suite struct AgreedMomentsTests {
    let year = SchoolYear(
        reports: [.init(id: "report1", name: "Rapport 1", day: SchoolDay("2027-02-05")!), .init(id: "report2", name: "Rapport 2", day: SchoolDay("2027-02-12")!)],
        holidays: [.init(id: "christmas", name: "Kerstvakantie", first: SchoolDay("2026-12-19")!, last: SchoolDay("2027-01-03")!),
                   .init(id: "spring", name: "Voorjaarsvakantie", first: SchoolDay("2027-02-13")!, last: SchoolDay("2027-02-21")!),
                   .init(id: "summer", name: "Zomervakantie", first: SchoolDay("2027-07-17")!, last: SchoolDay("2027-08-29")!)],
        childFreeDays: [SchoolDay("2027-02-22")!])
    let today = SchoolDay("2026-11-23")!   // a Monday

    func days(_ text: String) throws -> [String] {
        try AgreedMoments.parse(text, year: year).get().days(from: today, in: year).map(\.description)
    }

    func error(_ text: String) -> String? {
        if case .failure(let error) = AgreedMoments.parse(text, year: year) { return error.description }
        return nil
    }

    @Test func daysAreRealAndCountFromMonday() {
        #expect(SchoolDay("2027-02-30") == nil && SchoolDay("2027-13-01") == nil && SchoolDay("report1") == nil)
        #expect(SchoolDay("2026-11-23")?.weekday == 1 && SchoolDay("2026-11-29")?.weekday == 7)
        #expect(SchoolDay("2026-12-31")?.adding(days: 1).description == "2027-01-01")
        // The day a moment falls on is the school's day: 23:30 in Amsterdam is still that day, though UTC is not.
        let calendar = Calendar.gregorian(in: TimeZone(identifier: "Europe/Amsterdam")!)
        #expect(SchoolDay(SchoolDay("2027-03-28")!.at(minuteOfDay: 23 * 60 + 30, in: calendar), in: calendar).description == "2027-03-28")
    }

    @Test func theSourceDocumentsExamplesLandOnSchoolDays() throws {
        // "In de week na het eerste en tweede rapport belt de leerkracht": report 1 is on a Friday, so the Monday after;
        // the week after report 2 is the spring holiday, and its Monday is child-free: Tuesday.
        #expect(try days("week after report1; week after report2") == ["2027-02-08", "2027-02-23"])
        // "Begin juni een korte evaluatie", agreed in November: next June.
        #expect(try days("early june") == ["2027-06-01"])
        #expect(try days("early juni") == ["2027-06-01"])
        // A date in the Christmas holiday moves to the first school day after it.
        #expect(try days("2026-12-25") == ["2027-01-04"])
        #expect(try days("early january") == ["2027-01-04"])
        #expect(try days("mid december; late december") == ["2026-12-11", "2027-01-04"])
    }

    @Test func repetitionsStopAtTheirEndAndSkipHolidays() throws {
        #expect(try days("every week until christmas") == ["2026-11-30", "2026-12-07", "2026-12-14"])
        #expect(try days("every 2 weeks until 2026-12-31") == ["2026-12-07"])
        // 21 December is in the holiday: 4 January.
        #expect(try days("every 4 weeks until report1") == ["2027-01-04", "2027-01-18"])
        // Two moments that move to the same school day are one moment.
        let summer = try days("every 2 weeks until summer")
        #expect(summer.count == 15 && summer.first == "2026-12-07" && summer.last == "2027-07-05")
        #expect(summer.filter { $0 == "2027-01-04" }.count == 1 && summer.contains("2027-02-23"))
    }

    @Test func theTextReadsBackTheSameAndMistakesAreExplained() throws {
        let moments = try AgreedMoments.parse(" Week after REPORT1 ;early juni; every week until Summer ", year: year).get()
        #expect(moments.text == "week after report1; early june; every week until summer")
        #expect(try AgreedMoments.parse(moments.text, year: year).get() == moments)
        #expect(error("week after report9")?.contains("'report9' is not a report") == true)
        #expect(error("every 10 weeks until summer")?.contains("1 to 8 weeks") == true)
        #expect(error("every 2 weeks")?.contains("'every 2 weeks until summer'") == true)
        #expect(error("every 2 weeks until easter")?.contains("'easter' is not a date") == true)
        #expect(error("next tuesday")?.contains("'next tuesday' is not a moment") == true)
        #expect(error("early smarch")?.contains("'smarch' is not a month") == true)
        #expect(error(" ; ") == "'when' is empty")
    }
}
