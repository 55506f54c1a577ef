import Dialogue
import Foundation
import SamenspraakCore
import Storage

/// The parents' answers to a nieuwjaarsreceptie invitation (yes with how many people, maybe, no; changeable until it
/// starts), and afterwards whether they would like a buddy or be one (which goes on in the buddy flows). Buttons name their reception; only a reception
/// of one of this household's children's groups is answered.
extension SchoolHost {
    static let receptionActions: [String: Set<String>] = [
        "select_reception": ["ok", "closed", "gone"],
        "answer_reception_yes": ["ok"],
        "answer_reception_maybe": ["ok"],
        "answer_reception_no": ["ok"],
        "record_buddy_interest": ["wants", "offers", "no", "gone"],
    ]

    /// Performs a reception action; nil when `action` is not one of them.
    mutating func performReceptionAction(_ action: String, session: inout Session) throws -> String? {
        switch action {
        case "select_reception":
            guard case .text(let id)? = session.vars["argument"], let reception = try ownReception(id) else { return "gone" }
            session.vars = session.vars.filter { $0.key == "school" }
            session.vars["reception_id"] = .text(reception.id)
            session.vars["group"] = .text(school.group(reception.groupID)?.name ?? reception.groupID)
            session.vars["day"] = .day(reception.startsAt)
            session.vars["time"] = .time(reception.startsAt)
            session.vars["ics_url"] = .text("\(publicURL)/ics/\(reception.icsToken).ics")
            return reception.startsAt > now ? "ok" : "closed"
        case "answer_reception_yes", "answer_reception_maybe", "answer_reception_no":
            guard case .text(let id)? = session.vars["reception_id"], let reception = try ownReception(id), reception.startsAt > now else { return "ok" }
            let answer = String(action.dropFirst("answer_reception_".count))
            let people = answer == "yes" ? max(1, min(Self.maximumPeople, Int(session.vars["people"]?.plain ?? "") ?? 1)) : 0
            try tx.answerReception(id: id, householdID: household, answer: answer, people: people, at: now)
            // The reminder the day before comes with a yes or maybe and goes with a no, in this transaction.
            plannedJobs = try ReceptionPlanner.replan(reception, school: school, tx: tx, now: now) || plannedJobs
            return "ok"
        case "record_buddy_interest":
            guard case .text(let argument)? = session.vars["argument"] else { return "gone" }
            let parts = argument.split(separator: ":").map(String.init)
            guard parts.count == 2, ["wants", "offers", "no"].contains(parts[1]), try ownReception(parts[0], cancelledToo: true) != nil else { return "gone" }
            try tx.recordBuddyInterest(householdID: household, interest: parts[1], source: "reception:\(parts[0])", at: now)
            session.vars["interest"] = .text(parts[1])
            return parts[1]
        default:
            return nil
        }
    }

    /// How many people one household may say it brings.
    static let maximumPeople = 8

    func peopleOptions() -> [Option] {
        (1...6).map { Option(id: String($0), label: "reception.people_option", values: ["count": .number($0)]) }
    }

    /// The reception, if it is of a group one of this household's children is in (and, unless asked, not cancelled).
    func ownReception(_ id: String, cancelledToo: Bool = false) throws -> ReceptionRecord? {
        guard let reception = try tx.reception(id: id), cancelledToo || reception.cancelledAt == nil,
              try tx.children(household: household).contains(where: { $0.groupID == reception.groupID }) else { return nil }
        return reception
    }
}
