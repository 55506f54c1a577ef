import Dialogue
import Foundation
import SamenspraakCore
import Storage

/// What an agreement's jobs send: the written agreement to confirm, the teacher's reminder on the agreed day, the
/// parents' check-in, and the look back before an evaluation. Buttons carry the agreement, follow-up or check-in
/// they are about, and work from wherever the person is in their conversation.
extension ConversationService {
    /// The quick answers to a check-in, as stored and as the teacher reads them ("check_in.<answer>").
    static let checkInAnswers = ["good", "fair", "poor"]

    func agreementOutcome(of job: JobRecord, now: Date, tx: Transaction, report: inout JobReport) throws -> JobOutcome {
        guard let subject = AgreementPlanner.subject(of: job), let agreement = try tx.agreement(id: subject.agreementID), agreement.cancelledAt == nil,
              let id = agreement.id else { return .skipped("the agreement was cancelled") }
        let text = AgreementText(school: school)
        func values(_ language: String) throws -> [String: MessageValue] { try text.values(agreement, localizer: localizer, language: language, tx: tx) }
        /// The parents' message with the translation's note under it.
        func noted(_ message: OutboundMessage) throws -> OutboundMessage {
            var message = message
            if let note = try text.translationNote(agreement, localizer: localizer, language: message.language, translating: translator != nil, tx: tx) {
                message.text += "\n\n" + note
            }
            return message
        }
        // The teacher's words go to parents translated when that takes a moment: wait for it, but not long.
        if translator != nil, let household = job.householdID, [AgreementPlanner.written, AgreementPlanner.checkIn].contains(job.kind),
           try text.waitsForTranslation(agreement, household: household, localizer: localizer, now: now, tx: tx) {
            return .postponed(now + 15, "waiting for the translation")
        }
        switch job.kind {
        case AgreementPlanner.written:
            guard let household = job.householdID else { return .skipped("no household") }
            // The written record of what was agreed in the talk: parents expect it, so the weekly limit does not hold it back.
            return try send(to: household, job: job, now: now, tx: tx, report: &report, capped: false) { language in
                try noted(reply("agreement.written", try values(language), language: language,
                                choices: [("agreement_matches", "agreement.matches"), ("agreement_differs", "agreement.differs")], argument: String(id)))
            }
        case AgreementPlanner.followUp:
            guard let day = subject.day else { return .skipped("no day in the job") }
            let followUp = try tx.followUp(agreementID: id, day: day.description)
            guard followUp.status == "open", let followUpID = followUp.id else { return .skipped("the follow-up was \(followUp.status) already") }
            return try send(toTeacher: agreement.teacherID, now: now, tx: tx, report: &report) { language in
                reply("staff.follow_up", try values(language), language: language,
                      choices: [("follow_up_done", "staff.follow_up_done"), ("follow_up_tomorrow", "staff.follow_up_tomorrow"),
                                ("follow_up_reschedule", "staff.follow_up_reschedule")], argument: String(followUpID))
            }
        case AgreementPlanner.checkIn:
            guard let household = job.householdID, let day = subject.day, agreement.checkIn != nil else { return .skipped("the agreement asks no check-in") }
            return try send(to: household, job: job, now: now, tx: tx, report: &report) { language in
                var message = reply("check_in.question", try values(language), language: language)
                message.choices = (Self.checkInAnswers + ["tell"]).map { answer in
                    Choice(id: DialogueEngine.commandChoiceID("check_in", argument: "\(id):\(day):\(answer)"),
                           label: localizer.text("check_in.\(answer)", [:], language: language))
                }
                return try noted(message)
            }
        case AgreementPlanner.lookBack:
            guard let day = subject.day else { return .skipped("no day in the job") }
            let all = try tx.agreements(child: agreement.childID)
            func lookBack(_ key: String, _ language: String) throws -> OutboundMessage {
                let lines = try all.map { other in localizer.text("agreement.line", try text.values(other, localizer: localizer, language: language, tx: tx), language: language) }
                var values = try values(language)
                values["day"] = .day(day, in: school.calendar)
                values["agreements"] = .text(lines.joined(separator: "\n"))
                return reply(key, values, language: language)
            }
            guard let household = job.householdID else {
                return try send(toTeacher: agreement.teacherID, now: now, tx: tx, report: &report) { try lookBack("staff.look_back", $0) }
            }
            return try send(to: household, job: job, now: now, tx: tx, report: &report) { try lookBack("agreement.look_back", $0) }
        default:
            return .skipped("unknown kind of job '\(job.kind)'")
        }
    }
}
