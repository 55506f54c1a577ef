import Dialogue
import Foundation
import SamenspraakCore
import Storage

/// A teacher records an agreement by chat (`conversations/staff/record.yaml`): the child, who, what, why, one or
/// more moments, how, and an optional check-in question; saving it is `ConversationService.save`, in this step.
extension StaffHost {
    static let recordActions: [String: Set<String>] = [
        "start_agreement": ["ok"],
        "select_record_child": ["ok", "several", "none"],
        "add_when_date": ["ok", "invalid"],
        "add_when_report": ["ok"],
        "add_when_month": ["ok"],
        "add_when_repeat": ["ok"],
        "clear_check_in": ["ok"],
        "summarise_agreement": ["ok"],
        "save_agreement": ["ok", "failed"],
    ]
    static let recordOptionSources: Set<String> = ["record_children", "parties", "means", "reports", "months", "intervals", "ends"]
    static let recordVariables: Set<String> = ["check_in_line", "reason", "name", "month", "items"]
    static let recordMessages: Set<String> = Set(["staff.record_child_option", "staff.report_option", "staff.month_option", "staff.interval_option",
                                                  "staff.end_option", "staff.record_check_in_line"])
        .union(Agreement.Party.allCases.map { "staff.who_\($0.rawValue)" }).union(Agreement.Means.allCases.map { "staff.how_\($0.rawValue)" })

    /// The children of this teacher's groups.
    func ownChildren() throws -> [ChildRecord] {
        try school.groups(ofTeacher: teacher.id).flatMap { try tx.children(group: $0.id) }
    }

    func recordOptions(_ source: String, session: Session) throws -> [Option] {
        let calendar = school.calendar
        switch source {
        case "record_children":
            // After typing a name several children share, those; otherwise the children of the teacher's recent talks.
            let children: [ChildRecord]
            if case .text(let name)? = session.vars["child_filter"] {
                children = try ownChildren().filter { $0.firstName.foldedForMatching == name }
            } else {
                let ids = try tx.activeBookings(teacher: teacher.id, from: now.addingTimeInterval(-14 * 24 * 3600), until: now.addingTimeInterval(24 * 3600))
                    .reversed().map(\.childID)
                var seen = Set<String>()
                children = try ids.filter { seen.insert($0).inserted }.compactMap { try tx.child(id: $0) }
            }
            return children.prefix(SchoolHost.maximumOptions).map {
                Option(id: $0.id, label: "staff.record_child_option",
                       values: ["child": .text("\($0.firstName) \($0.lastName)"), "group": .text(school.group($0.groupID)?.name ?? $0.groupID)])
            }
        case "parties":
            return Agreement.Party.allCases.map { Option(id: $0.rawValue, label: "staff.who_\($0.rawValue)") }
        case "means":
            return Agreement.Means.allCases.map { Option(id: $0.rawValue, label: "staff.how_\($0.rawValue)") }
        case "reports":
            let today = SchoolDay(now, in: calendar)
            return school.year.reports.filter { $0.day >= today.adding(days: -7) }.prefix(SchoolHost.maximumOptions).map {
                Option(id: $0.id, label: "staff.report_option", values: ["name": .text($0.name), "day": .day($0.day, in: calendar)])
            }
        case "months":
            let today = SchoolDay(now, in: calendar)
            return (1...SchoolHost.maximumOptions).map { offset in
                let month = (today.month - 1 + offset) % 12 + 1
                return Option(id: String(month), label: "staff.month_option", values: ["month": .month(month)])
            }
        case "intervals":
            return [1, 2, 3, 4].map { Option(id: String($0), label: "staff.interval_option", values: ["count": .number($0)]) }
        case "ends":
            let today = SchoolDay(now, in: calendar)
            let holidays = school.year.holidays.filter { $0.first > today }.map { (id: $0.id, name: $0.name, day: $0.first) }
            let reports = school.year.reports.filter { $0.day > today }.map { (id: $0.id, name: $0.name, day: $0.day) }
            return (holidays + reports).sorted { $0.day < $1.day }.prefix(SchoolHost.maximumOptions).map {
                Option(id: $0.id, label: "staff.end_option", values: ["name": .text($0.name), "day": .day($0.day, in: calendar)])
            }
        default:
            throw DialogueError(description: "unknown option source '\(source)'")
        }
    }

    mutating func performRecordAction(_ action: String, session: inout Session) throws -> String {
        switch action {
        case "start_agreement":
            session.vars = session.vars.filter { ["school", "teacher", "groups"].contains($0.key) }
            return "ok"
        case "select_record_child":
            guard case .text(let pick)? = session.vars["child_pick"] else { return "none" }
            let own = try ownChildren()
            session.vars["child_filter"] = nil
            var matches = own.filter { $0.id == pick }
            if matches.isEmpty { matches = own.filter { $0.firstName.foldedForMatching == pick.foldedForMatching } }
            guard let child = matches.first else { return "none" }
            if matches.count > 1 {
                session.vars["child_filter"] = .text(pick.foldedForMatching)
                return "several"
            }
            session.vars["child_id"] = .text(child.id)
            session.vars["child"] = .text(child.firstName)
            session.vars["group"] = .text(school.group(child.groupID)?.name ?? child.groupID)
            return "ok"
        case "add_when_date":
            guard case .text(let text)? = session.vars["date_text"], let day = Self.day(typed: text, after: SchoolDay(now, in: school.calendar)) else {
                return "invalid"
            }
            addMoment(day.description, into: &session)
            return "ok"
        case "add_when_report":
            addMoment("week after \(session.vars["report_id"]?.plain ?? "")", into: &session)
            return "ok"
        case "add_when_month":
            let month = Int(session.vars["month_id"]?.plain ?? "") ?? 1
            addMoment("early \(AgreedMoments.monthNames[month - 1])", into: &session)
            return "ok"
        case "add_when_repeat":
            addMoment("every \(session.vars["every_weeks"]?.plain ?? "2") weeks until \(session.vars["until_id"]?.plain ?? "")", into: &session)
            return "ok"
        case "clear_check_in":
            session.vars["question"] = nil
            return "ok"
        case "summarise_agreement":
            let who = session.vars["who_id"]?.plain ?? "", how = session.vars["how_id"]?.plain ?? ""
            session.vars["who"] = .message("staff.who_\(who)")
            session.vars["how"] = .message("staff.how_\(how)")
            session.vars["check_in_line"] = .text(session.vars["question"].map {
                localizer.text("staff.record_check_in_line", ["question": $0], language: language)
            } ?? "")
            return "ok"
        case "save_agreement":
            let vars = session.vars
            func text(_ name: String) -> String { vars[name]?.plain ?? "" }
            let draft = AgreementDraft(childID: text("child_id"), teacherID: teacher.id, who: text("who_id"), what: text("what"), why: text("why"),
                                       when: text("when_text"), how: text("how_id"), checkIn: vars["question"]?.plain)
            switch try ConversationService.save(draft, id: nil, school: school, tx: tx, now: now) {
            case .success:
                plannedJobs = true
                return "ok"
            case .failure(let problem):
                session.vars["reason"] = .text(problem.description)
                return "failed"
            }
        default:
            throw DialogueError(description: "unknown action '\(action)'")
        }
    }

    /// Adds one moment to the agreement's "when", and shows all of them as the teacher reads them.
    func addMoment(_ moment: String, into session: inout Session) {
        let earlier = session.vars["when_text"]?.plain ?? ""
        let whenText = earlier.isEmpty ? moment : earlier + "; " + moment
        session.vars["when_text"] = .text(whenText)
        session.vars["when"] = .text(AgreementText(school: school).when(whenText, localizer: localizer, language: language))
    }

    /// A date as teachers type it: "12-01-2027", "12/1/2027", "2027-01-12", or "12-01" (the next such day), in any
    /// keyboard's digits; not in the past.
    static func day(typed text: String, after today: SchoolDay) -> SchoolDay? {
        let numbers = text.split(whereSeparator: { "-/. ".contains($0) }).map { String($0).typedNumber }
        guard numbers.allSatisfy({ $0 != nil }) else { return nil }
        let parts = numbers.compactMap { $0 }
        var day: SchoolDay?
        switch parts.count {
        case 3 where parts[0] > 31: day = SchoolDay(String(format: "%04d-%02d-%02d", parts[0], parts[1], parts[2]))
        case 3: day = SchoolDay(String(format: "%04d-%02d-%02d", parts[2] < 100 ? 2000 + parts[2] : parts[2], parts[1], parts[0]))
        case 2:
            day = SchoolDay(String(format: "%04d-%02d-%02d", today.year, parts[1], parts[0]))
            if let this = day, this < today { day = SchoolDay(String(format: "%04d-%02d-%02d", today.year + 1, parts[1], parts[0])) }
        default: return nil
        }
        guard let day, day >= today else { return nil }
        return day
    }
}
