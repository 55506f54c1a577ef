import DataFiles
import Foundation
import SamenspraakCore
import Yams

/// Reads the school file staff write by hand:
///
/// ```yaml
/// school:
///   name: OBS De Regenboog
///   timezone: Europe/Amsterdam
///   languages: [nl, en, ar, tr, pl, uk, so, ti, fa, es]
/// booking:
///   round: first-come                   # or preference-round: households rate the blocks, then all talks are planned
///   opens: 2026-08-24 08:00
///   closes: 2026-09-11 17:00
///   # changes_until: 2026-09-11 17:00   # preference-round only: after the plan, parents move and cancel until then
///   talk_minutes: 20
///   buffer_minutes: 5
///   separated_households: separate      # or joint: one talk per child, the other household joins
///   nudges: ["2026-08-26 16:00", "2026-09-09 16:00"]   # to households without a booking; at most two
/// messages:                              # reminders and nudges, which nobody asked for
///   quiet_hours: "21:00-08:00"
///   quiet_weekends: true
///   per_week: 2                          # at most this many to one parent in any seven days
/// calendar:                              # what agreements refer to: "week after report1", "until summer"
///   reports: [{ id: report1, name: Rapport 1, date: 2027-02-12 }]
///   holidays: [{ id: summer, name: Zomervakantie, from: 2027-07-17, to: 2027-08-29 }]
///   child_free_days: [2027-03-05]        # agreed moments on these days (and in holidays) move to the next school day
/// receptions:                            # nieuwjaarsreceptie per group; id defaults to <group>-<date>
///   - { group: g3, date: 2026-09-10, from: "15:00", to: "16:00", place: Lokaal 3, note: Broertjes en zusjes zijn welkom }
/// teachers:
///   - id: de-vries
///     name: Juf Anouk de Vries
///     place: Lokaal 3 (begane grond)
///     availability:
///       - { date: 2026-09-01, from: "14:30", to: "16:30", kind: after_school }
///       - { date: 2026-09-03, from: "19:00", to: "21:00", kind: evening }
/// groups:
///   - { id: g3, name: Groep 3, teachers: [de-vries] }
/// ```
public enum SchoolFile {
    /// Parses and validates; every problem is collected and thrown as `FileIssues` naming file and line.
    public static func load(path: String, text: String) throws -> School {
        let file = try YAMLFile(path: path, text: text)
        let school = parse(file)
        if !file.issues.isEmpty { throw FileIssues(file.issues) }
        guard let school else { throw FileIssues([FileIssue(file: path, line: nil, message: "is not a school file")]) }
        return school
    }

    public static func load(url: URL) throws -> School {
        do { return try load(path: url.path, text: try TextFile.read(url)) } catch let issue as FileIssue { throw FileIssues([issue]) }
    }

    static func parse(_ file: YAMLFile) -> School? {
        guard let top = file.fields(file.root, "the school file", allowed: ["school", "booking", "messages", "calendar", "receptions", "teachers", "groups"]) else { return nil }
        guard let schoolNode = top["school"] else {
            file.report("'school' is missing", at: file.root)
            return nil
        }
        guard let info = file.fields(schoolNode, "'school'", allowed: ["name", "timezone", "languages"]) else { return nil }
        let name = file.string(info["name"], "'school.name'", in: schoolNode) ?? ""
        var timeZone = TimeZone(identifier: "Europe/Amsterdam")!
        if let zoneNode = info["timezone"], let zoneName = file.string(zoneNode, "'school.timezone'") {
            if let zone = TimeZone(identifier: zoneName) { timeZone = zone } else { file.report("unknown time zone '\(zoneName)'", at: zoneNode) }
        }
        let languages = info["languages"].flatMap { file.strings($0, "'school.languages'") } ?? ["nl"]
        let dates = DateReader(file: file, timeZone: timeZone)

        guard let bookingNode = top["booking"] else {
            file.report("'booking' is missing", at: file.root)
            return nil
        }
        let booking = parseBooking(bookingNode, file, dates)

        var teachers: [Teacher] = []
        if let node = top["teachers"], let items = file.sequence(node, "'teachers'") {
            for item in items {
                if let teacher = parseTeacher(item, file, dates, booking: booking) {
                    if teachers.contains(where: { $0.id == teacher.id }) { file.report("teacher id '\(teacher.id)' is used twice", at: item) }
                    teachers.append(teacher)
                }
            }
        } else if top["teachers"] == nil {
            file.report("'teachers' is missing", at: file.root)
        }

        var groups: [Group] = []
        if let node = top["groups"], let items = file.sequence(node, "'groups'") {
            for item in items {
                guard let fields = file.fields(item, "a group", allowed: ["id", "name", "teachers"]),
                      let id = file.string(fields["id"], "'id' of a group", in: item) else { continue }
                let groupName = file.string(fields["name"], "'name' of group '\(id)'", in: item) ?? id
                let teacherIDs = file.strings(fields["teachers"], "'teachers' of group '\(id)'", in: item) ?? []
                if teacherIDs.isEmpty { file.report("group '\(id)' has no teachers", at: item) }
                for teacherID in teacherIDs where !teachers.contains(where: { $0.id == teacherID }) {
                    file.report("group '\(id)' names the teacher '\(teacherID)', who is not in 'teachers'", at: fields["teachers"])
                }
                if groups.contains(where: { $0.id == id }) { file.report("group id '\(id)' is used twice", at: item) }
                // Households rate the blocks of their children's teachers; without any there is nothing to ask or plan.
                if booking?.round == .preferenceRound, !teacherIDs.isEmpty,
                   !teachers.contains(where: { teacherIDs.contains($0.id) && !$0.availability.isEmpty }) {
                    file.report("group '\(id)' has no time for talks in the preference round: none of its teachers has 'availability'", at: item)
                }
                groups.append(Group(id: id, name: groupName, teacherIDs: teacherIDs))
            }
        } else if top["groups"] == nil {
            file.report("'groups' is missing", at: file.root)
        }
        let year = top["calendar"].map { parseCalendar($0, file) }
        let receptions = top["receptions"].map { parseReceptions($0, file, dates, groups: groups) } ?? []
        guard let booking else { return nil }
        var school = School(name: name, timeZone: timeZone, languages: languages, booking: booking, teachers: teachers, groups: groups)
        if let node = top["messages"], let policy = parseMessages(node, file) { school.unprompted = policy }
        if let year { school.year = year }
        school.receptions = receptions
        return school
    }

    static func parseReceptions(_ node: Node, _ file: YAMLFile, _ dates: DateReader, groups: [Group]) -> [Reception] {
        guard let items = file.sequence(node, "'receptions'") else { return [] }
        var receptions: [Reception] = []
        for item in items {
            guard let fields = file.fields(item, "a reception", allowed: ["id", "group", "date", "from", "to", "place", "note"]),
                  let group = file.string(fields["group"], "'group' of a reception", in: item) else { continue }
            guard groups.contains(where: { $0.id == group }) else {
                file.report("a reception names the group '\(group)', which is not in 'groups'", at: fields["group"])
                continue
            }
            guard let day = dates.day(fields["date"], "'date' of the reception of '\(group)'", in: item),
                  let start = dates.time(fields["from"], "'from' of the reception of '\(group)'", on: day, in: item),
                  let end = dates.time(fields["to"], "'to' of the reception of '\(group)'", on: day, in: item) else { continue }
            if end <= start { file.report("the reception of '\(group)' ends before it starts", at: item); continue }
            let dayText = String(format: "%04d-%02d-%02d", day.year ?? 0, day.month ?? 0, day.day ?? 0)
            let id = fields["id"].flatMap { file.string($0, "'id' of a reception") } ?? "\(group)-\(dayText)"
            if receptions.contains(where: { $0.id == id }) { file.report("the reception id '\(id)' is used twice", at: item); continue }
            let place = file.string(fields["place"], "'place' of the reception of '\(group)'", in: item) ?? ""
            let note = fields["note"].flatMap { file.string($0, "'note' of the reception of '\(group)'") }
            receptions.append(Reception(id: id, groupID: group, start: start, end: end, place: place, note: note))
        }
        return receptions
    }

    static func parseCalendar(_ node: Node, _ file: YAMLFile) -> SchoolYear {
        var year = SchoolYear()
        guard let fields = file.fields(node, "'calendar'", allowed: ["reports", "holidays", "child_free_days"]) else { return year }
        func day(_ node: Node?, _ what: String, in parent: Node) -> SchoolDay? {
            guard let text = file.string(node, what, in: parent) else { return nil }
            guard let day = SchoolDay(text) else {
                file.report("\(what) must be a date like 2027-02-12, not '\(text)'", at: node)
                return nil
            }
            return day
        }
        var ids = Set<String>()
        func identifier(_ fields: [String: Node], _ what: String, in item: Node) -> String? {
            guard let id = file.string(fields["id"], "'id' of \(what)", in: item) else { return nil }
            // Ids are words in agreements ("week after report1"), so they may not contain spaces or ';'.
            if id.contains(where: { $0 == " " || $0 == ";" }) || SchoolDay(id) != nil { file.report("'\(id)' cannot be an id: use a word like report1", at: fields["id"]) }
            if !ids.insert(id.lowercased()).inserted { file.report("the id '\(id)' is used twice in 'calendar'", at: fields["id"]) }
            return id.lowercased()
        }
        if let node = fields["reports"], let items = file.sequence(node, "'calendar.reports'") {
            for item in items {
                guard let report = file.fields(item, "a report", allowed: ["id", "name", "date"]), let id = identifier(report, "a report", in: item),
                      let date = day(report["date"], "'date' of report '\(id)'", in: item) else { continue }
                year.reports.append(.init(id: id, name: file.string(report["name"], "'name' of report '\(id)'", in: item) ?? id, day: date))
            }
        }
        if let node = fields["holidays"], let items = file.sequence(node, "'calendar.holidays'") {
            for item in items {
                guard let holiday = file.fields(item, "a holiday", allowed: ["id", "name", "from", "to"]), let id = identifier(holiday, "a holiday", in: item),
                      let first = day(holiday["from"], "'from' of holiday '\(id)'", in: item),
                      let last = day(holiday["to"], "'to' of holiday '\(id)'", in: item) else { continue }
                if last < first { file.report("holiday '\(id)' ends before it starts", at: item); continue }
                year.holidays.append(.init(id: id, name: file.string(holiday["name"], "'name' of holiday '\(id)'", in: item) ?? id, first: first, last: last))
            }
        }
        if let node = fields["child_free_days"], let items = file.sequence(node, "'calendar.child_free_days'") {
            year.childFreeDays = Set(items.compactMap { day($0, "a day in 'calendar.child_free_days'", in: node) })
        }
        return year
    }

    static func parseMessages(_ node: Node, _ file: YAMLFile) -> UnpromptedPolicy? {
        guard let fields = file.fields(node, "'messages'", allowed: ["quiet_hours", "quiet_weekends", "per_week"]) else { return nil }
        var policy = UnpromptedPolicy()
        if let hoursNode = fields["quiet_hours"], let text = file.string(hoursNode, "'messages.quiet_hours'") {
            let ends = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }.map(SchoolDay.minuteOfDay)
            if ends.count == 2, let from = ends[0], let until = ends[1] {
                (policy.quietFrom, policy.quietUntil) = (from, until)
            } else {
                file.report("'messages.quiet_hours' must be two times like \"21:00-08:00\", not '\(text)'", at: hoursNode)
            }
        }
        if let weekendNode = fields["quiet_weekends"], let text = file.string(weekendNode, "'messages.quiet_weekends'") {
            switch text {
            case "true", "yes": policy.quietWeekends = true
            case "false", "no": policy.quietWeekends = false
            default: file.report("'messages.quiet_weekends' must be true or false, not '\(text)'", at: weekendNode)
            }
        }
        if let capNode = fields["per_week"], let cap = file.int(capNode, "'messages.per_week'") {
            if (0...14).contains(cap) { policy.perWeek = cap } else {
                file.report("'messages.per_week' must be between 0 and 14, not \(cap)", at: capNode)
            }
        }
        return policy
    }

    static func parseBooking(_ node: Node, _ file: YAMLFile, _ dates: DateReader) -> BookingSettings? {
        guard let fields = file.fields(node, "'booking'", allowed: ["round", "opens", "closes", "changes_until", "talk_minutes", "buffer_minutes",
                                                                 "separated_households", "nudges"])
        else { return nil }
        let opens = dates.moment(fields["opens"], "'booking.opens'", in: node)
        let closes = dates.moment(fields["closes"], "'booking.closes'", in: node)
        let talk = fields["talk_minutes"].flatMap { file.int($0, "'booking.talk_minutes'") } ?? 20
        let buffer = fields["buffer_minutes"].flatMap { file.int($0, "'booking.buffer_minutes'") } ?? 5
        if !(5...120).contains(talk) { file.report("'booking.talk_minutes' must be between 5 and 120, not \(talk)", at: fields["talk_minutes"]) }
        if !(0...60).contains(buffer) { file.report("'booking.buffer_minutes' must be between 0 and 60, not \(buffer)", at: fields["buffer_minutes"]) }
        var policy = SeparatedHouseholdsPolicy.separateTalks
        if let policyNode = fields["separated_households"], let text = file.string(policyNode, "'booking.separated_households'") {
            if let value = SeparatedHouseholdsPolicy(rawValue: text) { policy = value } else {
                file.report("'booking.separated_households' must be 'separate' or 'joint', not '\(text)'", at: policyNode)
            }
        }
        var nudges: [Date]?
        if let nudgesNode = fields["nudges"], let items = file.sequence(nudgesNode, "'booking.nudges'") {
            nudges = items.compactMap { dates.moment($0, "a moment in 'booking.nudges'", in: nudgesNode) }
            if items.count > 2 { file.report("'booking.nudges' may name at most two moments, not \(items.count)", at: nudgesNode) }
            if let opens, let closes, nudges?.contains(where: { $0 < opens || $0 > closes }) == true {
                file.report("the moments in 'booking.nudges' must lie between 'booking.opens' and 'booking.closes'", at: nudgesNode)
            }
        }
        var round = BookingRound.firstCome
        if let roundNode = fields["round"], let text = file.string(roundNode, "'booking.round'") {
            if let value = BookingRound(rawValue: text) { round = value } else {
                file.report("'booking.round' must be 'first-come' or 'preference-round', not '\(text)'", at: roundNode)
            }
        }
        let changesUntil = fields["changes_until"].flatMap { dates.moment($0, "'booking.changes_until'", in: node) }
        switch round {
        case .preferenceRound where fields["changes_until"] == nil:
            file.report("a preference round needs 'booking.changes_until': until when parents move and cancel their planned talks", at: node)
        case .firstCome where fields["changes_until"] != nil:
            file.report("'booking.changes_until' is for a preference round; with first come, first served 'booking.closes' ends the changes too",
                        at: fields["changes_until"])
        default: break
        }
        guard let opens, let closes else { return nil }
        if closes <= opens { file.report("'booking.closes' must be after 'booking.opens'", at: fields["closes"]) }
        if let changesUntil, changesUntil <= closes {
            file.report("'booking.changes_until' must be after 'booking.closes', when the round is planned", at: fields["changes_until"])
        }
        var settings = BookingSettings(opens: opens, closes: closes, talkMinutes: talk, bufferMinutes: buffer, separatedHouseholds: policy)
        settings.nudges = nudges
        settings.round = round
        settings.changesUntil = changesUntil
        return settings
    }

    static func parseTeacher(_ node: Node, _ file: YAMLFile, _ dates: DateReader, booking: BookingSettings?) -> Teacher? {
        guard let fields = file.fields(node, "a teacher", allowed: ["id", "name", "place", "availability"]),
              let id = file.string(fields["id"], "'id' of a teacher", in: node) else { return nil }
        let name = file.string(fields["name"], "'name' of teacher '\(id)'", in: node) ?? id
        let place = file.string(fields["place"], "'place' of teacher '\(id)'", in: node) ?? ""
        var blocks: [AvailabilityBlock] = []
        if let node = fields["availability"], let items = file.sequence(node, "'availability' of teacher '\(id)'") {
            for item in items {
                guard let block = file.fields(item, "an availability block of '\(id)'", allowed: ["date", "from", "to", "kind"]) else { continue }
                guard let day = dates.day(block["date"], "'date' of a block of '\(id)'", in: item),
                      let from = dates.time(block["from"], "'from' of a block of '\(id)'", on: day, in: item),
                      let to = dates.time(block["to"], "'to' of a block of '\(id)'", on: day, in: item) else { continue }
                var kind = BlockKind.afterSchool
                if let kindNode = block["kind"], let text = file.string(kindNode, "'kind'") {
                    if let value = BlockKind(rawValue: text) { kind = value } else {
                        file.report("'kind' must be one of \(BlockKind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'", at: kindNode)
                    }
                }
                if to <= from { file.report("a block of '\(id)' ends before it starts", at: item); continue }
                if let booking, booking.round == .preferenceRound, from < booking.closes {
                    file.report("a block of '\(id)' starts before 'booking.closes': in a preference round the talks are planned after the round closes", at: item)
                }
                blocks.append(AvailabilityBlock(kind: kind, start: from, end: to))
            }
        }
        return Teacher(id: id, name: name, place: place, availability: blocks)
    }
}

/// Reads "2026-09-01", "14:30" and "2026-09-01 14:30" in the school's time zone.
struct DateReader {
    let file: YAMLFile
    let timeZone: TimeZone

    private var calendar: Calendar { .gregorian(in: timeZone) }

    func day(_ node: Node?, _ what: String, in parent: Node) -> DateComponents? {
        guard let text = file.string(node, what, in: parent) else { return nil }
        let parts = text.split(separator: "-").map { Int($0) }
        guard parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2],
              calendar.date(from: DateComponents(year: year, month: month, day: day)) != nil, (1...12).contains(month), (1...31).contains(day)
        else {
            file.report("\(what) must be a date like 2026-09-01, not '\(text)'", at: node)
            return nil
        }
        return DateComponents(year: year, month: month, day: day)
    }

    func time(_ node: Node?, _ what: String, on day: DateComponents, in parent: Node) -> Date? {
        guard let text = file.string(node, what, in: parent) else { return nil }
        guard let date = combine(day, text) else {
            file.report("\(what) must be a time like 14:30, not '\(text)'", at: node)
            return nil
        }
        return date
    }

    func moment(_ node: Node?, _ what: String, in parent: Node) -> Date? {
        guard let text = file.string(node, what, in: parent) else { return nil }
        let pieces = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        let dayParts = pieces.first?.split(separator: "-").compactMap { Int($0) } ?? []
        guard pieces.count <= 2, dayParts.count == 3,
              let date = combine(DateComponents(year: dayParts[0], month: dayParts[1], day: dayParts[2]), pieces.count == 2 ? String(pieces[1]) : "00:00")
        else {
            file.report("\(what) must be a moment like 2026-08-24 08:00, not '\(text)'", at: node)
            return nil
        }
        return date
    }

    private func combine(_ day: DateComponents, _ time: String) -> Date? {
        guard let minutes = SchoolDay.minuteOfDay(time),
              let month = day.month, (1...12).contains(month), let dayOfMonth = day.day, (1...31).contains(dayOfMonth) else { return nil }
        var components = day
        components.hour = minutes / 60
        components.minute = minutes % 60
        return calendar.date(from: components)
    }
}
