import Foundation
import SamenspraakCore

/// Writes a school and roster in the same formats `SchoolFile` and `RosterCSV` read, so a generated
/// demo school can be inspected and edited like a real one.
public enum SchoolFileWriter {
    public static func yaml(_ school: School) -> String {
        let day = school.calendar.dayKey, time = school.calendar.clockTime
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        var lines = [
            "school:",
            "  name: \(quoted(school.name))",
            "  timezone: \(school.timeZone.identifier)",
            "  languages: [\(school.languages.joined(separator: ", "))]",
            "booking:",
            "  opens: \"\(day(school.booking.opens)) \(time(school.booking.opens))\"",
            "  closes: \"\(day(school.booking.closes)) \(time(school.booking.closes))\"",
            "  talk_minutes: \(school.booking.talkMinutes)",
            "  buffer_minutes: \(school.booking.bufferMinutes)",
            "  separated_households: \(school.booking.separatedHouseholds.rawValue)",
        ]
        if school.booking.round != .firstCome { lines.insert("  round: \(school.booking.round.rawValue)", at: lines.count - 5) }
        if let until = school.booking.changesUntil { lines.append("  changes_until: \"\(day(until)) \(time(until))\"") }
        if let nudges = school.booking.nudges {
            lines.append("  nudges: [\(nudges.map { quoted("\(day($0)) \(time($0))") }.joined(separator: ", "))]")
        }
        let policy = school.unprompted
        func clock(_ minutes: Int) -> String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }
        lines += [
            "messages:",
            "  quiet_hours: \"\(clock(policy.quietFrom))-\(clock(policy.quietUntil))\"",
            "  quiet_weekends: \(policy.quietWeekends)",
            "  per_week: \(policy.perWeek)",
        ]
        let year = school.year
        if !year.reports.isEmpty || !year.holidays.isEmpty || !year.childFreeDays.isEmpty {
            lines.append("calendar:")
            lines.append("  reports:" + (year.reports.isEmpty ? " []" : ""))
            lines += year.reports.map { "    - { id: \($0.id), name: \(quoted($0.name)), date: \($0.day) }" }
            lines.append("  holidays:" + (year.holidays.isEmpty ? " []" : ""))
            lines += year.holidays.map { "    - { id: \($0.id), name: \(quoted($0.name)), from: \($0.first), to: \($0.last) }" }
            lines.append("  child_free_days: [\(year.childFreeDays.sorted().map(\.description).joined(separator: ", "))]")
        }
        if !school.receptions.isEmpty {
            lines.append("receptions:")
            for reception in school.receptions {
                let note = reception.note.map { ", note: \(quoted($0))" } ?? ""
                lines.append("  - { id: \(reception.id), group: \(reception.groupID), date: \(day(reception.start)), from: \"\(time(reception.start))\", "
                             + "to: \"\(time(reception.end))\", place: \(quoted(reception.place))\(note) }")
            }
        }
        lines.append("teachers:")
        for teacher in school.teachers {
            lines += ["  - id: \(teacher.id)", "    name: \(quoted(teacher.name))", "    place: \(quoted(teacher.place))", "    availability:"]
            for block in teacher.availability {
                lines.append("      - { date: \(day(block.start)), from: \"\(time(block.start))\", to: \"\(time(block.end))\", kind: \(block.kind.rawValue) }")
            }
        }
        lines.append("groups:")
        for group in school.groups {
            lines.append("  - { id: \(group.id), name: \(quoted(group.name)), teachers: [\(group.teacherIDs.joined(separator: ", "))] }")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func csv(_ roster: Roster) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        let children = Dictionary(roster.children.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var lines = [RosterCSV.columns.joined(separator: ",")]
        for household in roster.households {
            for childID in household.childIDs {
                guard let child = children[childID] else { continue }
                for guardian in household.guardians {
                    lines.append([child.id, child.firstName, child.lastName, child.groupID, household.key, guardian.name, guardian.phone, guardian.language]
                        .map(field).joined(separator: ","))
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
