import Dialogue
import Foundation
import SamenspraakCore
import Storage

/// A teacher suggests a buddy to a child's family after the startgesprek ("buddy" in the teachers' chat): each of the
/// child's households is asked in its own language, and decides; the care coordinator sees the request.
extension StaffHost {
    static let buddyActions: [String: Set<String>] = ["flag_buddy_need": ["asked", "already", "unreachable"]]

    mutating func flagBuddyNeed(session: Session) throws -> String {
        guard case .text(let childID)? = session.vars["child_id"], case .text(let picked)? = session.vars["situation"],
              let situation = BuddySituation(rawValue: picked), try ownChildren().contains(where: { $0.id == childID }) else { return "unreachable" }
        let matchmaker = BuddyMatchmaker(tx: tx, school: school, localizer: localizer, now: now)
        var outcomes: [BuddyFlagOutcome] = []
        var questions: [Notice] = []
        for household in try tx.households(ofChild: childID) {
            let (outcome, question) = try matchmaker.suggest(to: household, situation: situation, source: "teacher:\(teacher.id)")
            outcomes.append(outcome)
            questions += question.map { [$0] } ?? []
        }
        notices += questions
        return outcomes.contains(.asked) ? "asked" : outcomes.contains(.alreadyOpen) ? "already" : "unreachable"
    }
}
