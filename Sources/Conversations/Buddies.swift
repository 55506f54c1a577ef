import Foundation
import Localization
import SamenspraakCore
import Storage

/// Finding buddies (`BuddyMatcher` in the core decides who) and what the two parents see of each other: first name,
/// groups and languages, nothing more until both said yes. Everything runs inside the step's (or job's) transaction.
struct BuddyMatchmaker {
    let tx: Transaction
    let school: School
    let localizer: Localizer
    let now: Date

    /// Proposes a buddy for every accepted need that waits for one, asking both parents; a need nobody fits keeps why.
    /// Returns the questions to send.
    func proposeWaiting() throws -> [Notice] {
        let waiting = try tx.buddyNeedsWaiting()
        guard !waiting.isEmpty else { return [] }
        let counts = try tx.activeBuddyCounts()
        // Only volunteers who can be sent messages are proposed: the question must reach them.
        let volunteers = try tx.buddyVolunteers().filter { try isReachable($0.householdID) }.map { volunteer in
            BuddyVolunteer(householdID: volunteer.householdID, languages: Set(volunteer.languages),
                           situations: Set(volunteer.situations.compactMap(BuddySituation.init)), capacity: volunteer.capacity,
                           active: counts[volunteer.householdID] ?? 0, paused: volunteer.pausedAt != nil, groupIDs: Set(try groups(of: volunteer.householdID)))
        }
        let declined = Set(try tx.buddyPairsNotToPropose().map { BuddyMatcher.Pair($0.0, $0.1) })
        let needs = try waiting.compactMap { need in
            try BuddySituation(rawValue: need.situation).map {
                BuddyNeed(id: need.id, householdID: need.householdID, languages: try languages(of: need.householdID), situation: $0,
                          groupIDs: Set(try groups(of: need.householdID)))
            }
        }
        var notices: [Notice] = []
        let outcomes = BuddyMatcher.proposeAll(needs, volunteers: volunteers, declined: declined)
        for var record in waiting {
            guard let need = needs.first(where: { $0.id == record.id }), let outcome = outcomes[record.id] else { continue }
            switch outcome {
            case .success(let candidate):
                let introduction = try tx.insertBuddyIntroduction(needID: need.id, parentID: need.householdID,
                                                                  buddyID: candidate.volunteer.householdID, language: candidate.language, at: now)
                try tx.plan(BuddyJobs.expiry(of: introduction))
                record.unmatched = nil
                notices += try questions(introduction, situation: need.situation)
            case .failure(let reason):
                record.unmatched = reason.code
            }
            try tx.saveBuddyNeed(record)
        }
        return notices
    }

    /// Each of the two is asked separately, in their own language, about the other.
    func questions(_ introduction: BuddyIntroductionRecord, situation: BuddySituation) throws -> [Notice] {
        let answers = [Notice.Button(flow: "buddy_answer", argument: "\(introduction.id):yes", label: "buddy.yes_introduce"),
                       Notice.Button(flow: "buddy_answer", argument: "\(introduction.id):no", label: "buddy.no_thanks")]
        return [Notice(recipient: .household(introduction.parentID), key: "buddy.proposal_parent",
                       values: try profile(of: introduction.buddyID), buttons: answers),
                Notice(recipient: .household(introduction.buddyID), key: "buddy.proposal_buddy",
                       values: try profile(of: introduction.parentID).merging(["situation": .message("buddy.situation_\(situation.rawValue)")]) { $1 },
                       buttons: answers)]
    }

    /// Both said yes: each is introduced to the other, with buttons to write and to exchange phone numbers.
    func introductions(_ introduction: BuddyIntroductionRecord) throws -> [Notice] {
        try [(introduction.parentID, introduction.buddyID), (introduction.buddyID, introduction.parentID)].map { household, other in
            let values = try profile(of: other)
            return Notice(recipient: .household(household), key: "buddy.introduced", values: values,
                          buttons: [Notice.Button(flow: "buddy_write", argument: String(introduction.id), label: "buddy.write", values: values),
                                    Notice.Button(flow: "buddy_share", argument: String(introduction.id), label: "buddy.share", values: values)])
        }
    }

    /// One buddy's words for the other: `key` says whether they were translated (buddy.relay_translated, with the
    /// original below), could not be (buddy.relay_untranslated) or needed no translation (buddy.relay).
    func relay(_ text: String, original: String? = nil, key: String = "buddy.relay", introduction: BuddyIntroductionRecord, from household: Int64,
               to other: Int64) throws -> Notice {
        let sender = try profile(of: household)
        return Notice(recipient: .household(other), key: key, values: sender.merging(["text": .text(text), "original": .text(original ?? text)]) { $1 },
                      buttons: [Notice.Button(flow: "buddy_write", argument: String(introduction.id), label: "buddy.reply", values: sender)])
    }

    /// A teacher or staff think a buddy would help the household: unless it has an open request or a buddy already, or
    /// cannot be reached, a need waits for the parent's yes, and this is the question to ask them.
    func suggest(to household: Int64, situation: BuddySituation, source: String) throws -> (BuddyFlagOutcome, Notice?) {
        guard try tx.openBuddyNeed(household: household) == nil,
              try !tx.buddyIntroductions(household: household).contains(where: { $0.parentID == household && $0.state == "paired" })
        else { return (.alreadyOpen, nil) }
        guard try isReachable(household) else { return (.unreachable, nil) }
        let need = try tx.openBuddyNeed(household: household, situation: situation.rawValue, source: source, acceptedAt: nil, at: now)
        return (.asked, Notice(recipient: .household(household), key: "buddy.suggested", values: ["situation": .message("buddy.need_\(situation.rawValue)")],
                               buttons: [Notice.Button(flow: "buddy_accept", argument: "\(need.id):yes", label: "buddy.yes_find"),
                                         Notice.Button(flow: "buddy_accept", argument: "\(need.id):no", label: "buddy.no_thanks")]))
    }

    /// The household can no longer be reached (it said "stop" everywhere, or blocked us): its pairings end and its open
    /// questions lapse, the other is told kindly, and a parent left waiting gets the next buddy proposed.
    func householdUnreachable(_ household: Int64) throws -> [Notice] {
        guard try !isReachable(household) else { return [] }
        var notices: [Notice] = []
        for var introduction in try tx.buddyIntroductions(household: household) {
            var decision = introduction.decisionState
            guard let other = introduction.other(than: household), decision.withdraw() else { continue }
            (introduction.state, introduction.endedAt) = (decision.state.rawValue, now)
            try tx.saveBuddyIntroduction(introduction)
            notices.append(Notice(recipient: .household(other), key: "buddy.other_unreachable", values: try profile(of: household)))
        }
        return notices.isEmpty ? [] : notices + (try proposeWaiting())
    }

    /// What the other parent may know of a household: its first name, its children's groups and its languages.
    func profile(of household: Int64) throws -> [String: MessageValue] {
        let name = try tx.guardians(household: household).first?.name.split(separator: " ").first.map(String.init)
        let groups = try groups(of: household).map { school.group($0)?.name ?? $0 }
        let languages = try tx.buddyVolunteer(household: household)?.languages ?? languages(of: household)
        return ["name": name.map(MessageValue.text) ?? .message("buddy.a_parent"), "groups": .text(groups.joined(separator: ", ")),
                "languages": .text(languages.map(localizer.languageName).joined(separator: ", "))]
    }

    /// The groups of the household's children, each once.
    func groups(of household: Int64) throws -> [String] {
        var seen: Set<String> = []
        return try tx.children(household: household).map(\.groupID).filter { seen.insert($0).inserted }
    }

    /// The household's languages: the one its chat uses first, then its guardians' from the roster.
    func languages(of household: Int64) throws -> [String] {
        let chats = try tx.contacts(household: household).reversed().compactMap(\.language)
        let roster = try tx.guardians(household: household).map(\.language).filter { localizer.catalogs[$0] != nil }
        var seen: Set<String> = []
        let languages = (chats + roster).filter { seen.insert($0).inserted }
        return languages.isEmpty ? [localizer.baseLanguage] : languages
    }

    func isReachable(_ household: Int64) throws -> Bool {
        try tx.contacts(household: household).contains(where: \.receivesMessages)
    }
}

extension BuddyMatcher.Unmatched {
    /// Stored with the need, shown to the care coordinator: "no_volunteers", "no_shared_language:ar,nl", "full", "declined".
    var code: String {
        switch self {
        case .noVolunteers: "no_volunteers"
        case .noSharedLanguage(let languages): "no_shared_language:" + languages.joined(separator: ",")
        case .everyoneFullOrPaused: "full"
        case .everyoneDeclined: "declined"
        }
    }
}

/// The two moments an introduction has on the clock: the question lapses after a week without both answers, and two
/// weeks after pairing both are asked whether it helps. Keys "buddy:<id>:…".
enum BuddyJobs {
    static let expire = "buddy_expire"
    static let checkIn = "buddy_check_in"

    static func expiry(of introduction: BuddyIntroductionRecord) -> PlannedJob {
        let due = introduction.askedAt + BuddyIntroduction.answerWithin
        return PlannedJob(key: "buddy:\(introduction.id):expire", kind: expire, householdID: nil, reference: String(introduction.id),
                          dueAt: due, expiresAt: due + 30 * 24 * 3600)
    }

    static func checkIn(of introduction: BuddyIntroductionRecord, pairedAt: Date) -> PlannedJob {
        let due = pairedAt + BuddyIntroduction.checkInAfter
        return PlannedJob(key: "buddy:\(introduction.id):check_in", kind: checkIn, householdID: nil, reference: String(introduction.id),
                          dueAt: due, expiresAt: due + 14 * 24 * 3600)
    }
}

extension ConversationService {
    func buddyOutcome(of job: JobRecord, now: Date, tx: Transaction, report: inout JobReport) throws -> JobOutcome {
        guard let id = Int64(job.reference), var introduction = try tx.buddyIntroduction(id: id) else { return .skipped("no such introduction") }
        let matchmaker = BuddyMatchmaker(tx: tx, school: school, localizer: localizer, now: now)
        var notices: [Notice] = []
        switch job.kind {
        case BuddyJobs.expire:
            var decision = introduction.decisionState
            guard decision.expire(at: now) else { return .skipped("answered: \(introduction.state)") }
            introduction.state = decision.state.rawValue
            try tx.saveBuddyIntroduction(introduction)
            for (household, other) in [(introduction.parentID, introduction.buddyID), (introduction.buddyID, introduction.parentID)] {
                notices.append(Notice(recipient: .household(household), key: "buddy.expired", values: try matchmaker.profile(of: other)))
            }
            notices += try matchmaker.proposeWaiting()
        default:
            guard introduction.state == BuddyIntroduction.State.paired.rawValue else { return .skipped("the pairing ended") }
            for (household, other) in [(introduction.parentID, introduction.buddyID), (introduction.buddyID, introduction.parentID)] {
                notices.append(Notice(recipient: .household(household), key: "buddy.check_in", values: try matchmaker.profile(of: other),
                                      buttons: ["good", "poor"].map { Notice.Button(flow: "buddy_check_in", argument: "\(id):\($0)", label: "buddy.check_in_\($0)") }))
            }
        }
        let recipients = try deliver(notices, unprompted: true, tx: tx, now: now)
        report.recipients.formUnion(recipients)
        return .done("told \(recipients.count) chats")
    }
}

/// What flagging a need came to.
public enum BuddyFlagOutcome: Sendable, Equatable {
    /// The parent was asked whether they would like a buddy.
    case asked
    /// The household already has an open request, or has a buddy.
    case alreadyOpen
    case noSuchHousehold
    /// No chat of the household can be sent messages, so it cannot be asked.
    case unreachable
    case unknownSituation
}

extension ConversationService {
    /// A teacher or the care coordinator thinks a buddy would help (after the startgesprek): the parent is asked first, in
    /// their language; nobody else is asked before the parent said yes. `source` is "teacher:<id>" or "staff:<user>".
    public func flagBuddyNeed(household key: String, situation: String, source: String) async throws -> BuddyFlagOutcome {
        guard let situation = BuddySituation(rawValue: situation) else { return .unknownSituation }
        let now = clock.now()
        let (outcome, recipients) = try await committer.perform { [self] tx -> (BuddyFlagOutcome, [Recipient]) in
            guard let household = try tx.household(key: key)?.id else { return (.noSuchHousehold, []) }
            let (outcome, question) = try BuddyMatchmaker(tx: tx, school: school, localizer: localizer, now: now)
                .suggest(to: household, situation: situation, source: source)
            return (outcome, try deliver(question.map { [$0] } ?? [], unprompted: true, tx: tx, now: now))
        }
        await wakeups.signal(recipients: recipients)
        return outcome
    }
}
