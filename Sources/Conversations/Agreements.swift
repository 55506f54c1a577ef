import Dialogue
import Foundation
import Localization
import SamenspraakCore
import Storage

/// An agreement as staff (API or chat) write it, before it is checked.
public struct AgreementDraft: Sendable, Codable, Equatable {
    public var childID: String
    public var teacherID: String
    public var who: String
    public var what: String
    public var why: String
    public var when: String
    public var how: String
    public var checkIn: String?
    public var evaluation: Bool?

    public init(childID: String, teacherID: String, who: String, what: String, why: String, when: String, how: String,
                checkIn: String? = nil, evaluation: Bool? = nil) {
        (self.childID, self.teacherID, self.who, self.what, self.why, self.when, self.how) = (childID, teacherID, who, what, why, when, how)
        (self.checkIn, self.evaluation) = (checkIn, evaluation)
    }

    enum CodingKeys: String, CodingKey {
        case childID = "child", teacherID = "teacher", who, what, why, when, how, checkIn = "check_in", evaluation
    }
}

/// Why staff's input (an agreement, a reception) was refused, in words staff understand.
public struct InputProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case notFound, invalid }
    public var kind: Kind
    public var description: String
}

extension ConversationService {
    /// Records a new agreement (`id` nil) or changes one, plans its moments, and has it sent to the child's parents
    /// to confirm; all in one transaction. Nothing is stored when the draft has a problem.
    public func saveAgreement(_ draft: AgreementDraft, id: Int64? = nil) async throws -> Result<AgreementRecord, InputProblem> {
        let now = clock.now()
        let result = try await committer.perform { [self] tx in try Self.save(draft, id: id, school: school, tx: tx, now: now) }
        await wakeups.signal(Wakeups.jobsKey)
        await wakeups.signal(Wakeups.translationsKey)
        return result
    }

    /// `saveAgreement` inside a transaction that is already open (a teacher's chat step).
    static func save(_ draft: AgreementDraft, id: Int64?, school: School, tx: Transaction, now: Date) throws -> Result<AgreementRecord, InputProblem> {
        let checked = try check(draft, school: school, tx: tx, now: now)
        guard case .success(var record) = checked else { return checked }
        if let id {
            guard let existing = try tx.agreement(id: id), existing.cancelledAt == nil else {
                return .failure(InputProblem(kind: .notFound, description: "there is no agreement \(id)"))
            }
            record.id = id
            record.createdAt = existing.createdAt
            try tx.updateAgreement(record)
            try tx.forgetResponses(agreementID: id)
            try tx.forgetTranslations(agreementID: id)
        } else {
            record = try tx.insertAgreement(record)
        }
        try AgreementPlanner.replan(record, school: school, tx: tx, now: now, announce: true)
        return .success(record)
    }

    /// Cancels an agreement: its reminders and check-ins are gone at once. False when there is no such agreement.
    public func cancelAgreement(id: Int64) async throws -> Bool {
        let now = clock.now()
        return try await committer.perform { [self] tx in
            guard var record = try tx.agreement(id: id), record.cancelledAt == nil else { return false }
            record.cancelledAt = now
            record.updatedAt = now
            try tx.updateAgreement(record)
            try AgreementPlanner.replan(record, school: school, tx: tx, now: now, announce: false)
            return true
        }
    }

    static func check(_ draft: AgreementDraft, school: School, tx: Transaction, now: Date) throws -> Result<AgreementRecord, InputProblem> {
        func invalid(_ text: String) -> Result<AgreementRecord, InputProblem> { .failure(InputProblem(kind: .invalid, description: text)) }
        guard let child = try tx.child(id: draft.childID) else { return invalid("there is no child '\(draft.childID)' in the roster") }
        guard let teacher = school.teacher(draft.teacherID) else { return invalid("there is no teacher '\(draft.teacherID)' in the school file") }
        guard school.teachers(ofGroup: child.groupID).contains(teacher) else {
            return invalid("\(teacher.id) does not teach group \(child.groupID), the group of child \(child.id)")
        }
        guard let who = Agreement.Party(rawValue: draft.who) else {
            return invalid("'who' must be one of \(Agreement.Party.allCases.map(\.rawValue).joined(separator: ", ")), not '\(draft.who)'")
        }
        guard let how = Agreement.Means(rawValue: draft.how) else {
            return invalid("'how' must be one of \(Agreement.Means.allCases.map(\.rawValue).joined(separator: ", ")), not '\(draft.how)'")
        }
        let what = draft.what.trimmingCharacters(in: .whitespacesAndNewlines), why = draft.why.trimmingCharacters(in: .whitespacesAndNewlines)
        let checkIn = draft.checkIn?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        for (name, text) in [("what", what), ("why", why)] where text.isEmpty { return invalid("'\(name)' is empty") }
        for (name, text) in [("what", what), ("why", why), ("check_in", checkIn ?? "")] where text.count > Agreement.maximumTextLength {
            return invalid("'\(name)' is longer than \(Agreement.maximumTextLength) characters")
        }
        let moments: AgreedMoments
        switch AgreedMoments.parse(draft.when, year: school.year) {
        case .success(let parsed): moments = parsed
        case .failure(let error): return invalid("'when': \(error.description)")
        }
        guard !moments.days(from: SchoolDay(now, in: school.calendar), in: school.year).isEmpty else {
            return invalid("'when' has no school day left: '\(moments.text)'")
        }
        return .success(AgreementRecord(childID: child.id, teacherID: teacher.id, who: who.rawValue, what: what, why: why, moments: moments.text,
                                        how: how.rawValue, checkIn: checkIn, isEvaluation: draft.evaluation ?? false, createdAt: now, updatedAt: now))
    }
}

/// Keeps an agreement's jobs in line with it, in the transaction that changed it: a reminder for the teacher on each
/// agreed school day, a check-in for each household when the agreement asks one, the look back before an evaluation,
/// and (when it is new or changed) the written agreement for the parents to confirm. Job keys start with
/// "agreement:<id>:", so changing or cancelling an agreement finds all of them.
enum AgreementPlanner {
    static let written = "agreement_written"
    static let followUp = "follow_up"
    static let checkIn = "check_in"
    static let lookBack = "look_back"

    /// When on its day each kind of message goes out (moved out of quiet hours).
    static let teacherMinute = Reminders.agendaMinuteOfDay
    static let parentMinute = 15 * 60 + 30

    static func prefix(_ id: Int64) -> String { "agreement:\(id):" }

    /// The agreement and school day a job is about, from its key "agreement:<id>:<kind>:<day>[:<household>]".
    static func subject(of job: JobRecord) -> (agreementID: Int64, day: SchoolDay?)? {
        let parts = job.key.split(separator: ":").map(String.init)
        guard parts.count >= 3, parts[0] == "agreement", let id = Int64(parts[1]) else { return nil }
        return (id, parts.count >= 4 ? SchoolDay(parts[3]) : nil)
    }

    /// A follow-up the teacher moved to `day`: a reminder of its own, kept when the agreement is replanned.
    static func planMoved(_ agreement: AgreementRecord, to day: SchoolDay, school: School, tx: Transaction, now: Date) throws {
        guard let id = agreement.id else { return }
        let calendar = school.calendar
        let due = max(now, school.unprompted.nextAllowed(from: day.at(minuteOfDay: teacherMinute, in: calendar), calendar: calendar))
        try tx.plan(PlannedJob(key: prefix(id) + "moved:\(day)", kind: followUp, householdID: nil, reference: String(id), dueAt: due,
                               expiresAt: day.adding(days: 1).at(minuteOfDay: 0, in: calendar)))
    }

    /// Names one version of an agreement: when it was saved and (FNV-1a) what it says.
    static func version(of agreement: AgreementRecord) -> String {
        let text = [agreement.who, agreement.what, agreement.why, agreement.moments, agreement.how, agreement.checkIn ?? "", "\(agreement.isEvaluation)"]
        let hash = text.joined(separator: "\u{1F}").utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        return "\(Int(agreement.updatedAt.timeIntervalSince1970))-\(String(hash, radix: 16))"
    }

    /// Returns whether any job of the agreement is pending now.
    @discardableResult
    static func replan(_ agreement: AgreementRecord, school: School, tx: Transaction, now: Date, announce: Bool) throws -> Bool {
        guard let id = agreement.id else { return false }
        // A household that said "stop" (or cannot be reached) gets none of the agreement's messages.
        let households = try tx.households(ofChild: agreement.childID).filter(tx.canReach)
        let calendar = school.calendar
        var wanted: [PlannedJob] = []
        func plan(_ kind: String, day: SchoolDay?, household: Int64? = nil, minute: Int, on due: SchoolDay, expires: Date) {
            let moment = max(now, school.unprompted.nextAllowed(from: due.at(minuteOfDay: minute, in: calendar), calendar: calendar))
            guard moment < expires else { return }
            // A job runs once: the written agreement is a new job for every version of it.
            let when = day?.description ?? version(of: agreement)
            let key = prefix(id) + kind + ":" + when + (household.map { ":\($0)" } ?? "")
            wanted.append(PlannedJob(key: key, kind: kind, householdID: household, reference: String(id), dueAt: moment, expiresAt: expires))
        }
        if agreement.cancelledAt == nil, case .success(let moments) = AgreedMoments.parse(agreement.moments, year: school.year) {
            let days = moments.days(from: SchoolDay(now, in: calendar), in: school.year)
            let who = Agreement.Party(rawValue: agreement.who) ?? .together
            for day in days {
                if who.includesTeacher { plan(followUp, day: day, minute: teacherMinute, on: day, expires: day.adding(days: 1).at(minuteOfDay: 0, in: calendar)) }
                if agreement.checkIn != nil {
                    // A check-in a few days late still helps; a week late it does not.
                    for household in households {
                        plan(checkIn, day: day, household: household, minute: parentMinute, on: day, expires: day.adding(days: 4).at(minuteOfDay: 0, in: calendar))
                    }
                }
            }
            if agreement.isEvaluation, let day = days.first {
                // The teacher's (no household) and each household's own, so the weekly limit of one cannot hold back the others.
                for household in [nil] + households.map(Optional.some) {
                    plan(lookBack, day: day, household: household, minute: parentMinute, on: day.adding(days: -3),
                         expires: day.at(minuteOfDay: teacherMinute, in: calendar))
                }
            }
            if announce {
                for household in households {
                    plan(written, day: nil, household: household, minute: 0, on: SchoolDay(now, in: calendar), expires: now.addingTimeInterval(14 * 24 * 3600))
                }
            }
        }
        // Replanned unchanged (at a start, or when a household said "start"), an agreement keeps what is still to go
        // out: a copy waiting for the end of quiet hours, a follow-up the teacher moved, and jobs that fell due while
        // the daemon was down (their expiry decides). Changed or cancelled, it keeps nothing of before, and a household
        // that said "stop" keeps nothing either.
        let kept = try tx.reconcile(pending: try tx.pendingJobs(keyPrefix: prefix(id)), wanted: wanted) { job in
            let unchanged = !announce && agreement.cancelledAt == nil && job.householdID.map(households.contains) ?? true
            return unchanged && (job.kind == written || job.dueAt <= now || job.key.hasPrefix(prefix(id) + "moved:"))
        }
        return wanted.count + kept > 0
    }
}

/// How agreements read in messages, in the reader's language: the teacher's own words as written (Dutch), the rest
/// from `locales/`.
struct AgreementText {
    let school: School

    func values(_ agreement: AgreementRecord, tx: Transaction) throws -> [String: MessageValue] {
        let child = try tx.child(id: agreement.childID)
        return [
            "child": .text(child?.firstName ?? agreement.childID),
            "group": .text(child.flatMap { school.group($0.groupID)?.name } ?? ""),
            "teacher": .text(school.teacher(agreement.teacherID)?.name ?? agreement.teacherID),
            "who": .message("agreement.who_" + agreement.who),
            "what": .text(agreement.what),
            "why": .text(agreement.why),
            "how": .message("agreement.how_" + agreement.how),
            "question": .text(agreement.checkIn ?? ""),
        ]
    }

    /// "de week na Rapport 1; begin juni" for the moments `written` ("week after report1; early june"), in `language`;
    /// `written` itself when the school calendar no longer knows a name in it.
    func when(_ written: String, localizer: Localizer, language: String) -> String {
        guard case .success(let moments) = AgreedMoments.parse(written, year: school.year) else { return written }
        let calendar = school.calendar
        func text(_ key: String, _ values: [String: MessageValue]) -> String { localizer.text("when." + key, values, language: language) }
        func end(_ end: AgreedMoments.End) -> MessageValue {
            switch end {
            case .day(let day): .day(day, in: calendar)
            case .report(let id): .text(school.year.report(id)?.name ?? id)
            case .holiday(let id): .text(school.year.holiday(id)?.name ?? id)
            }
        }
        return moments.parts.map { part in
            switch part {
            case .day(let day): text("day", ["day": .day(day, in: calendar)])
            case .weekAfterReport(let id): text("week_after", ["name": .text(school.year.report(id)?.name ?? id)])
            case .partOfMonth(let part, let month): text(part.rawValue, ["month": .month(month)])
            case .every(let weeks, let until): weeks == 1 ? text("every_week", ["end": end(until)]) : text("every_weeks", ["count": .number(weeks), "end": end(until)])
            }
        }.joined(separator: "; ")
    }

    /// The agreement's message values with "when" rendered for `language`, and the teacher's words in it when they
    /// were translated.
    func values(_ agreement: AgreementRecord, localizer: Localizer, language: String, tx: Transaction) throws -> [String: MessageValue] {
        var values = try values(agreement, tx: tx)
        values["when"] = .text(when(agreement.moments, localizer: localizer, language: language))
        if language != localizer.baseLanguage, let id = agreement.id, let translated = try tx.agreementTranslation(agreementID: id, language: language),
           let what = translated.what, let why = translated.why {
            values["what"] = .text(what)
            values["why"] = .text(why)
            if let question = translated.question { values["question"] = .text(question) }
        }
        return values
    }

    /// A line under a parent's message when a translation provider is configured: the teacher's own words under a
    /// translation, or that they could not be translated (yet). Nil when nothing was translated for `language`.
    func translationNote(_ agreement: AgreementRecord, localizer: Localizer, language: String, translating: Bool, tx: Transaction) throws -> String? {
        guard translating, language != localizer.baseLanguage, let id = agreement.id else { return nil }
        let original: [String: MessageValue] = ["what": .text(agreement.what), "why": .text(agreement.why)]
        guard let translated = try tx.agreementTranslation(agreementID: id, language: language), !translated.failed else {
            return localizer.text("agreement.untranslated", original, language: language)
        }
        return localizer.text("agreement.translated", original, language: language)
    }

    /// Whether a message about `agreement` to `household` should wait a little for its translation: a provider is
    /// configured, the household's chat reads another language than the teacher wrote in, and the agreement was saved
    /// less than `translationWait` ago.
    static let translationWait: TimeInterval = 120
    func waitsForTranslation(_ agreement: AgreementRecord, household: Int64, localizer: Localizer, now: Date, tx: Transaction) throws -> Bool {
        guard let id = agreement.id, now < agreement.updatedAt + Self.translationWait else { return false }
        guard let language = try tx.reachableContact(household: household)?.language, language != localizer.baseLanguage else { return false }
        return try tx.agreementTranslation(agreementID: id, language: language) == nil
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
