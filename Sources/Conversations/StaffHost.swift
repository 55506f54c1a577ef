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
    /// Set when this step saved an agreement, whose jobs the scheduler may have to wake for.
    var plannedJobs = false
    /// Messages to parents caused by this step (a buddy suggested to a family), sent with its replies.
    var notices: [Notice] = []

    static var catalog: HostCatalog { StaffHostCatalog.catalog }
}

/// Everything the teachers' flows (`conversations/staff/`) may use; `samenspraak check` validates them against it.
public enum StaffHostCatalog {
    public static let catalog = HostCatalog(
        actions: StaffHost.sharedActions.merging([
            "describe_teacher": ["ok"],
            "agenda_today": ["some", "none"],
            "agenda_day": ["some", "none"],
            "select_follow_up": ["ok", "gone"],
            "finish_follow_up": ["ok"],
            "move_follow_up": ["ok"],
            "reception_summary": ["some", "none"],
        ].merging(StaffHost.recordActions) { own, _ in own }.merging(StaffHost.buddyActions) { own, _ in own }) { shared, _ in shared },
        optionSources: Set(["languages", "talk_days", "school_days", "buddy_situations"]).union(StaffHost.recordOptionSources),
        variables: Set(["school", "teacher", "groups", "day", "talks", "count", "time", "child", "group", "place",
                        "who", "what", "why", "when", "how", "question", "comment", "answer", "agreements",
                        "receptions", "yes", "maybe", "no", "open", "people", "languages"] + SchoolHost.questions)
            .union(StaffHost.recordVariables),
        messages: Set(["staff.agenda", "staff.agenda_talk", "staff.agenda_answers", "staff.agenda_no_answers", "staff.day_option", "staff.other_day",
                   "staff.follow_up", "staff.follow_up_done", "staff.follow_up_tomorrow", "staff.follow_up_reschedule", "staff.school_day_option",
                   "staff.disputed", "staff.check_in_answer", "staff.check_in_comment", "staff.look_back", "staff.weekly_summary", "staff.summary_line", "staff.reception_line", "staff.reception_languages"]).union(StaffHost.recordMessages)
                   .union(BuddySituation.allCases.map { "buddy.offer_\($0.rawValue)" }))
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
        case "school_days":
            // The next school days, for a follow-up to be moved to.
            var day = SchoolDay(now, in: school.calendar)
            var days: [SchoolDay] = []
            while days.count < SchoolHost.maximumOptions {
                day = school.year.schoolDay(onOrAfter: day.adding(days: 1))
                days.append(day)
            }
            return days.map { Option(id: $0.description, label: "staff.school_day_option", values: ["day": .day($0, in: school.calendar)]) }
        case "buddy_situations":
            return BuddySituation.allCases.map { Option(id: $0.rawValue, label: "buddy.offer_\($0.rawValue)") }
        default:
            return try recordOptions(source, session: session)
        }
    }

    mutating func perform(_ action: String, session: inout Session) throws -> String {
        if let outcome = performShared(action, session: &session) { return outcome }
        switch action {
        case "describe_teacher":
            session.vars["teacher"] = .text(teacher.name)
            session.vars["groups"] = .text(school.groups(ofTeacher: teacher.id).map(\.name).joined(separator: ", "))
            return "ok"
        case "agenda_today":
            return try showAgenda(day: now, into: &session)
        case "agenda_day":
            guard case .text(let id)? = session.vars["day_id"], let seconds = Int(id) else { return "none" }
            return try showAgenda(day: Date(timeIntervalSince1970: TimeInterval(seconds)), into: &session)
        case "reception_summary":
            let lines = try receptionLines()
            guard !lines.isEmpty else { return "none" }
            session.vars["receptions"] = .text(lines.joined(separator: "\n"))
            return "some"
        case "select_follow_up":
            guard case .text(let argument)? = session.vars["argument"], let id = Int64(argument), let followUp = try tx.followUp(id: id),
                  followUp.status == "open", let agreement = try tx.agreement(id: followUp.agreementID), agreement.cancelledAt == nil,
                  agreement.teacherID == teacher.id else { return "gone" }
            session.vars = session.vars.filter { $0.key == "school" || $0.key == "teacher" }
            session.vars["follow_up_id"] = .text(String(id))
            session.vars.merge(try AgreementText(school: school).values(agreement, tx: tx)) { _, new in new }
            return "ok"
        case "finish_follow_up":
            guard let followUp = try selectedFollowUp(session), let id = followUp.id else { return "ok" }
            try tx.finishFollowUp(id: id, status: "done", at: now)
            return "ok"
        case "move_follow_up":
            // To the day chosen, or else the next school day; the moved reminder is a job of its own.
            guard let followUp = try selectedFollowUp(session), let id = followUp.id, let agreement = try tx.agreement(id: followUp.agreementID) else { return "ok" }
            let chosen = session.vars["new_day"].flatMap { SchoolDay($0.plain) }
            let day = school.year.schoolDay(onOrAfter: chosen ?? SchoolDay(now, in: school.calendar).adding(days: 1))
            try tx.finishFollowUp(id: id, status: "moved", at: now)
            try AgreementPlanner.planMoved(agreement, to: day, school: school, tx: tx, now: now)
            session.vars["day"] = .day(day, in: school.calendar)
            return "ok"
        case "flag_buddy_need":
            return try flagBuddyNeed(session: session)
        default:
            return try performRecordAction(action, session: &session)
        }
    }

    /// For each coming reception of the teacher's groups: who answered what, how many people come, and the languages
    /// of the households that (maybe) come.
    func receptionLines() throws -> [String] {
        let groups = Set(school.groups(ofTeacher: teacher.id).map(\.id))
        return try tx.receptions().filter { groups.contains($0.groupID) && $0.cancelledAt == nil && $0.endsAt > now }.map { reception in
            let tally = try ReceptionTally(reception: reception.id, group: reception.groupID, tx: tx)
            var languages: [String: Int] = [:]
            for (household, answer) in tally.answers where answer.answer != "no" {
                // What the roster says they speak, and what they chose in the chat.
                let spoken = try tx.guardians(household: household).map(\.language) + tx.contacts(household: household).compactMap(\.language)
                for language in Set(spoken) { languages[language, default: 0] += 1 }
            }
            let spoken = languages.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\(localizer.languageName($0.key)) \($0.value)" }
            var values: [String: MessageValue] = [
                "group": .text(school.group(reception.groupID)?.name ?? reception.groupID), "day": .day(reception.startsAt), "time": .time(reception.startsAt),
                "yes": .number(tally.yes), "maybe": .number(tally.maybe), "no": .number(tally.no), "open": .number(tally.notAnswered),
                "people": .number(tally.people),
            ]
            values["languages"] = .text(spoken.isEmpty ? "" : localizer.text("staff.reception_languages", ["languages": .text(spoken.joined(separator: ", "))], language: language))
            return localizer.text("staff.reception_line", values, language: language)
        }
    }

    func selectedFollowUp(_ session: Session) throws -> FollowUpRecord? {
        guard case .text(let text)? = session.vars["follow_up_id"], let id = Int64(text), let followUp = try tx.followUp(id: id),
              followUp.status == "open" else { return nil }
        return followUp
    }

    mutating func showAgenda(day: Date, into session: inout Session) throws -> String {
        let agenda = TeacherAgenda(school: school, localizer: localizer)
        guard let values = try agenda.values(teacher: teacher.id, day: day, language: language, tx: tx) else { return "none" }
        session.vars.merge(values) { _, new in new }
        return "some"
    }
}
