import Dialogue
import Foundation
import Localization
import SamenspraakCore
import Storage

/// The dialogue's window for a teacher who bound a chat account with a staff invite: the agenda of talks with
/// the parents' pre-talk answers. Runs inside the step's transaction, like `SchoolHost`.
struct StaffHost: ContactHost {
    let tx: Transaction
    let school: School
    let localizer: Localizer
    let now: Date
    let teacher: Teacher
    var contact: ContactRecord

    static var catalog: HostCatalog { StaffHostCatalog.catalog }
}

/// Everything the teachers' flows (`conversations/staff/`) may use; `samenspraak check` validates them against it.
public enum StaffHostCatalog {
    public static let catalog = HostCatalog(
        actions: StaffHost.sharedActions.merging([
            "describe_teacher": ["ok"],
            "agenda_today": ["some", "none"],
            "agenda_day": ["some", "none"],
        ]) { shared, _ in shared },
        optionSources: ["languages", "talk_days"],
        variables: Set(["school", "teacher", "groups", "day", "talks", "count", "time", "child", "group", "place"] + SchoolHost.questions),
        messages: ["staff.agenda", "staff.agenda_talk", "staff.agenda_answers", "staff.agenda_no_answers", "staff.day_option", "staff.other_day"])
}

extension StaffHost {
    mutating func options(_ source: String, session: Session) throws -> [Option] {
        switch source {
        case "languages":
            return languageOptions()
        case "talk_days":
            // Days from today on with at least one talk; the id is the day's first talk time, enough to find the day.
            let talks = try tx.activeBookings(teacher: teacher.id, from: school.calendar.startOfDay(for: now), until: .distantFuture)
            var days: [(key: String, first: Date, count: Int)] = []
            for talk in talks {
                let key = school.calendar.dayKey(talk.startsAt)
                if days.last?.key == key { days[days.count - 1].count += 1 } else { days.append((key, talk.startsAt, 1)) }
            }
            return days.prefix(SchoolHost.maximumOptions).map {
                Option(id: String(Int($0.first.timeIntervalSince1970)), label: "staff.day_option", values: ["day": .day($0.first), "count": .number($0.count)])
            }
        default:
            throw DialogueError(description: "unknown option source '\(source)'")
        }
    }

    mutating func perform(_ action: String, session: inout Session) throws -> String {
        if let outcome = performShared(action, session: &session) { return outcome }
        switch action {
        case "describe_teacher":
            session.vars["teacher"] = .text(teacher.name)
            session.vars["groups"] = .text(school.groups.filter { $0.teacherIDs.contains(teacher.id) }.map(\.name).joined(separator: ", "))
            return "ok"
        case "agenda_today":
            return try showAgenda(day: now, into: &session)
        case "agenda_day":
            guard case .text(let id)? = session.vars["day_id"], let seconds = Int(id) else { return "none" }
            return try showAgenda(day: Date(timeIntervalSince1970: TimeInterval(seconds)), into: &session)
        default:
            throw DialogueError(description: "unknown action '\(action)'")
        }
    }

    mutating func showAgenda(day: Date, into session: inout Session) throws -> String {
        let agenda = TeacherAgenda(school: school, localizer: localizer)
        guard let values = try agenda.values(teacher: teacher.id, day: day, language: language, tx: tx) else { return "none" }
        session.vars.merge(values) { _, new in new }
        return "some"
    }
}
