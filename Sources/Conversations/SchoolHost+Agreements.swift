import Dialogue
import Foundation
import SamenspraakCore
import Storage

/// The parents' side of the communicatieplan: confirming or disputing a written agreement, and answering a check-in.
/// Every button names its agreement; it is only acted on when the agreement is about one of this household's children.
extension SchoolHost {
    static let agreementActions: [String: Set<String>] = [
        "select_agreement": ["ok", "gone"],
        "confirm_agreement": ["ok"],
        "dispute_agreement": ["ok"],
        "select_check_in": ["quick", "tell", "gone"],
        "save_check_in": ["ok"],
        "save_check_in_comment": ["ok"],
    ]

    /// Performs an agreement action; nil when `action` is not one of them.
    mutating func performAgreementAction(_ action: String, session: inout Session) throws -> String? {
        switch action {
        case "select_agreement":
            guard case .text(let argument)? = session.vars["argument"], let id = Int64(argument), let agreement = try ownAgreement(id) else { return "gone" }
            session.vars = session.vars.filter { $0.key == "school" }
            session.vars["agreement_id"] = .text(String(id))
            session.vars.merge(try AgreementText(school: school).values(agreement, tx: tx)) { _, new in new }
            return "ok"
        case "confirm_agreement", "dispute_agreement":
            guard let agreement = try selectedAgreement(session), let id = agreement.id else { return "ok" }
            let comment = session.vars["comment"].map(\.plain).map { String($0.prefix(maximumInboundTextLength)) }
            try tx.respond(agreementID: id, householdID: household, matches: action == "confirm_agreement", comment: comment, at: now)
            if action == "dispute_agreement" {
                var values = try AgreementText(school: school).values(agreement, tx: tx)
                values["comment"] = .text(comment ?? "–")
                notices.append(Notice(recipient: .teacher(agreement.teacherID), key: "staff.disputed", values: values))
            }
            return "ok"
        case "select_check_in":
            // "<agreement>:<day>:<answer>", from the check-in's buttons.
            guard case .text(let argument)? = session.vars["argument"] else { return "gone" }
            let parts = argument.split(separator: ":").map(String.init)
            guard parts.count == 3, let id = Int64(parts[0]), let day = SchoolDay(parts[1]), let agreement = try ownAgreement(id), agreement.checkIn != nil
            else { return "gone" }
            let answer = parts[2]
            session.vars = session.vars.filter { $0.key == "school" }
            session.vars.merge(try AgreementText(school: school).values(agreement, tx: tx)) { _, new in new }
            session.vars["agreement_id"] = .text(String(id))
            session.vars["check_in_day"] = .text(day.description)
            if ConversationService.checkInAnswers.contains(answer) {
                session.vars["answer"] = .text(answer)
                return "quick"
            }
            return "tell"
        case "save_check_in", "save_check_in_comment":
            guard let agreement = try selectedAgreement(session), let id = agreement.id, case .text(let day)? = session.vars["check_in_day"] else { return "ok" }
            let answer = session.vars["answer"]?.plain ?? "tell"
            let comment = action == "save_check_in_comment" ? session.vars["comment"].map { String($0.plain.prefix(maximumInboundTextLength)) } : nil
            try tx.saveCheckIn(agreementID: id, householdID: household, day: day, answer: answer, comment: comment, at: now)
            var values = try AgreementText(school: school).values(agreement, tx: tx)
            // The teacher hears the quick answer at once, and the parent's own words when they add them.
            if let comment {
                values["comment"] = .text(comment)
                notices.append(Notice(recipient: .teacher(agreement.teacherID), key: "staff.check_in_comment", values: values))
            } else {
                values["answer"] = .message("check_in.\(answer)")
                notices.append(Notice(recipient: .teacher(agreement.teacherID), key: "staff.check_in_answer", values: values))
            }
            return "ok"
        default:
            return nil
        }
    }

    /// The agreement, if it still holds and is about one of this household's children.
    func ownAgreement(_ id: Int64) throws -> AgreementRecord? {
        guard let agreement = try tx.agreement(id: id), agreement.cancelledAt == nil,
              try tx.households(ofChild: agreement.childID).contains(household) else { return nil }
        return agreement
    }

    func selectedAgreement(_ session: Session) throws -> AgreementRecord? {
        guard case .text(let text)? = session.vars["agreement_id"], let id = Int64(text) else { return nil }
        return try ownAgreement(id)
    }
}
