import Foundation
import SamenspraakCore

/// An RFC 5545 calendar of events in the Europe/Amsterdam time zone (with its VTIMEZONE rules), lines folded at
/// 75 octets and text escaped.
enum CalendarFile {
    struct Event {
        var uid: String
        var start: Date
        var end: Date
        var summary: String
        var location: String
        var description: String
    }

    static func event(uid: String, start: Date, end: Date, summary: String, location: String, description: String, now: Date) -> String {
        calendar([Event(uid: uid, start: start, end: end, summary: summary, location: location, description: description)], now: now)
    }

    /// The secret token of a calendar URL's last part "<token>.ics", if it is `length` hex digits; else nil.
    static func token(fromFile file: String?, length: Int) -> String? {
        guard let file, file.hasSuffix(".ics") else { return nil }
        let token = String(file.dropLast(4))
        return token.count == length && token.allSatisfy(\.isHexDigit) ? token : nil
    }

    static func calendar(_ events: [Event], now: Date) -> String {
        let zone = TimeZone(identifier: "Europe/Amsterdam")!
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Samenspraak//Startgesprek//NL", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            "BEGIN:VTIMEZONE", "TZID:Europe/Amsterdam",
            "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
            "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
            "END:VTIMEZONE",
        ]
        for event in events {
            lines += [
                "BEGIN:VEVENT",
                "UID:\(event.uid)",
                "DTSTAMP:\(utc(now))",
                "DTSTART;TZID=Europe/Amsterdam:\(local(event.start, zone))",
                "DTEND;TZID=Europe/Amsterdam:\(local(event.end, zone))",
                "SUMMARY:\(escape(event.summary))",
                "LOCATION:\(escape(event.location))",
                "DESCRIPTION:\(escape(event.description))",
                "END:VEVENT",
            ]
        }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    static func local(_ date: Date, _ zone: TimeZone) -> String {
        let c = Calendar.gregorian(in: zone).dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    static func utc(_ date: Date) -> String { local(date, TimeZone(identifier: "UTC")!) + "Z" }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ";", with: "\\;")
            .replacingOccurrences(of: ",", with: "\\,").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Folds a content line so no physical line exceeds 75 octets, never splitting a UTF-8 character.
    static func fold(_ line: String) -> String {
        var result = ""
        var count = 0
        for character in line {
            let size = String(character).utf8.count
            if count + size > 75 {
                result += "\r\n "
                count = 1
            }
            result.append(character)
            count += size
        }
        return result
    }
}
