import Foundation
import Storage
import Testing

/// Dates are written as text on SQLite; the fast writer must give exactly the text GRDB's date formatter gave,
/// or new rows would compare and sort wrongly against the rows written before.
@Suite struct SQLDateTextTests {
    /// GRDB's storage formatter, configured as GRDB configures it.
    static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        return formatter
    }()

    @Test func writesWhatGRDBsFormatterWrites() {
        var generator = SystemRandomNumberGenerator()
        var dates: [Date] = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -0.0005), Date(timeIntervalSince1970: -1),
                             Date(timeIntervalSince1970: 1_795_424_400), Date(timeIntervalSince1970: 1_795_424_400.9995),
                             Date(timeIntervalSince1970: 1_795_424_400.999_999_9), Date(timeIntervalSinceReferenceDate: 0),
                             Date(timeIntervalSince1970: 951_782_400),  // 29 February 2000
                             Date(timeIntervalSince1970: -2_208_988_800),  // 1 January 1900
                             Date(timeIntervalSince1970: 253_402_300_799.999)]  // the last moment of 9999
        for _ in 0..<50_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: -2_300_000_000...7_300_000_000, using: &generator)))
            // Whole milliseconds, as most stored moments are, and their neighbours in floating point.
            let milliseconds = Double(Int64.random(in: 0...4_000_000_000_000, using: &generator)) / 1000
            dates.append(Date(timeIntervalSince1970: milliseconds))
            dates.append(Date(timeIntervalSince1970: milliseconds.nextDown))
            dates.append(Date(timeIntervalSince1970: milliseconds.nextUp))
        }
        var differences: [String] = []
        for date in dates where SQLDateText.text(date) != Self.formatter.string(from: date) {
            differences.append("\(date.timeIntervalSince1970): \(SQLDateText.text(date)) vs \(Self.formatter.string(from: date))")
        }
        #expect(differences.prefix(5) == [], "\(differences.count) of \(dates.count) differ")
    }

    @Test func readsBackWhatItWrites() {
        let date = Date(timeIntervalSince1970: 1_795_424_400.123)
        #expect(SQLDateText.text(date) == "2026-11-23 09:00:00.123")
        let read = SQLDateText.date(SQLDateText.text(date))
        #expect(read.map { abs($0.timeIntervalSince(date)) < 0.001 } == true)
    }

    @Test func yearsBeyondFourDigitsFallBackToTheFormatter() {
        let far = Date(timeIntervalSince1970: 253_402_300_800)  // 1 January 10000
        #expect(SQLDateText.text(far) == Self.formatter.string(from: far))
    }
}
