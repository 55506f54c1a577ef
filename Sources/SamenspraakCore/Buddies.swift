import Foundation

/// What a buddy helps with (`../shared/GLOSSARY.md`: buddy).
public enum BuddySituation: String, Sendable, CaseIterable, Codable {
    /// The parent does not (yet) speak Dutch: the buddy speaks both the parent's language and Dutch.
    case language
    /// The first child at a Dutch school: an experienced parent.
    case firstChild = "first_child"
    /// A learning difficulty such as dyslexia was just found: a parent who has been through it.
    case learning
    /// New to the area.
    case newInArea = "new_in_area"
}

/// A parent who offered to be a buddy.
public struct BuddyVolunteer: Sendable, Equatable {
    public var householdID: Int64
    /// The languages they speak, as locale codes ("nl", "ar").
    public var languages: Set<String>
    public var situations: Set<BuddySituation>
    /// How many parents they can support at once, and how many they do now (pairs asked or agreed).
    public var capacity: Int
    public var active: Int
    public var paused: Bool
    public var groupIDs: Set<String>

    public init(householdID: Int64, languages: Set<String>, situations: Set<BuddySituation>, capacity: Int, active: Int = 0, paused: Bool = false,
                groupIDs: Set<String>) {
        (self.householdID, self.languages, self.situations) = (householdID, languages, situations)
        (self.capacity, self.active, self.paused, self.groupIDs) = (capacity, active, paused, groupIDs)
    }
}

/// A parent asking for a buddy (or flagged by a teacher or the care coordinator after the startgesprek).
public struct BuddyNeed: Sendable, Equatable {
    public var id: Int64
    public var householdID: Int64
    /// The parent's own language first, then others they can manage in.
    public var languages: [String]
    public var situation: BuddySituation
    public var groupIDs: Set<String>

    public init(id: Int64, householdID: Int64, languages: [String], situation: BuddySituation, groupIDs: Set<String>) {
        (self.id, self.householdID, self.languages, self.situation, self.groupIDs) = (id, householdID, languages, situation, groupIDs)
    }
}

/// Who is proposed as whose buddy: shared language first (the parent's own language above another they share), then
/// the situation, then the same group; then the buddy with the fewest parents already, and the lowest household id,
/// so the same input always gives the same proposal. Never a parent with themselves, never someone one of the two
/// declined before, never a paused or full buddy, never two people without a language in common. A parent who needs a
/// buddy for the language gets only someone who speaks both their language and Dutch.
public enum BuddyMatcher {
    /// Two households that must not be proposed to each other again (one declined the other).
    public struct Pair: Hashable, Sendable {
        public let first: Int64
        public let second: Int64
        public init(_ a: Int64, _ b: Int64) { (first, second) = (min(a, b), max(a, b)) }
    }

    public struct Candidate: Sendable, Equatable {
        public var volunteer: BuddyVolunteer
        /// The language the two would talk in.
        public var language: String
        public var ownLanguage: Bool
        public var situationMatches: Bool
        public var sameGroup: Bool
    }

    /// Why nobody could be proposed, for the care coordinator's list of needs nobody could match.
    public enum Unmatched: Error, Equatable, Sendable, CustomStringConvertible {
        case noVolunteers
        case noSharedLanguage([String])
        case everyoneFullOrPaused
        case everyoneDeclined

        public var description: String {
            switch self {
            case .noVolunteers: "nobody has offered to be a buddy yet"
            case .noSharedLanguage(let languages): "no buddy speaks \(languages.joined(separator: " or "))"
            case .everyoneFullOrPaused: "every buddy who would fit is paused or supports as many parents as they offered"
            case .everyoneDeclined: "every buddy who would fit was declined before, or declined this parent"
            }
        }
    }

    /// Every buddy who may be proposed for `need`, best first.
    public static func candidates(for need: BuddyNeed, among volunteers: [BuddyVolunteer], declined: Set<Pair>) -> [Candidate] {
        ranked(need, volunteers).filter { available($0.volunteer, need, declined) }
    }

    /// The best buddy for `need`, or why there is none.
    public static func match(_ need: BuddyNeed, among volunteers: [BuddyVolunteer], declined: Set<Pair>) -> Result<Candidate, Unmatched> {
        if let best = candidates(for: need, among: volunteers, declined: declined).first { return .success(best) }
        let others = volunteers.filter { $0.householdID != need.householdID }
        let speaking = ranked(need, others)
        if others.isEmpty { return .failure(.noVolunteers) }
        if speaking.isEmpty { return .failure(.noSharedLanguage(need.situation == .language ? need.languages.prefix(1) + ["nl"] : need.languages)) }
        if speaking.allSatisfy({ $0.volunteer.paused || $0.volunteer.active >= $0.volunteer.capacity }) { return .failure(.everyoneFullOrPaused) }
        return .failure(.everyoneDeclined)
    }

    /// Proposals for many needs at once, in the order given (the oldest request first), counting each proposal against
    /// its buddy's capacity. Returns a buddy or the reason per need.
    public static func proposeAll(_ needs: [BuddyNeed], volunteers: [BuddyVolunteer], declined: Set<Pair>) -> [Int64: Result<Candidate, Unmatched>] {
        var volunteers = volunteers
        var result: [Int64: Result<Candidate, Unmatched>] = [:]
        for need in needs {
            let outcome = match(need, among: volunteers, declined: declined)
            if case .success(let candidate) = outcome, let index = volunteers.firstIndex(where: { $0.householdID == candidate.volunteer.householdID }) {
                volunteers[index].active += 1
            }
            result[need.id] = outcome
        }
        return result
    }

    /// The volunteers who share a language with the parent (both the parent's and Dutch for a language need), ranked.
    static func ranked(_ need: BuddyNeed, _ volunteers: [BuddyVolunteer]) -> [Candidate] {
        let candidates = volunteers.compactMap { volunteer -> Candidate? in
            guard volunteer.householdID != need.householdID, let own = need.languages.first else { return nil }
            if need.situation == .language {
                guard volunteer.languages.contains(own), volunteer.languages.contains("nl") else { return nil }
            }
            guard let language = need.languages.first(where: volunteer.languages.contains) else { return nil }
            return Candidate(volunteer: volunteer, language: language, ownLanguage: language == own,
                             situationMatches: volunteer.situations.contains(need.situation), sameGroup: !volunteer.groupIDs.isDisjoint(with: need.groupIDs))
        }
        return candidates.sorted { a, b in
            let left = (a.ownLanguage ? 0 : 1, a.situationMatches ? 0 : 1, a.sameGroup ? 0 : 1, a.volunteer.active, a.volunteer.householdID)
            let right = (b.ownLanguage ? 0 : 1, b.situationMatches ? 0 : 1, b.sameGroup ? 0 : 1, b.volunteer.active, b.volunteer.householdID)
            return left < right
        }
    }

    static func available(_ volunteer: BuddyVolunteer, _ need: BuddyNeed, _ declined: Set<Pair>) -> Bool {
        !volunteer.paused && volunteer.active < volunteer.capacity && !declined.contains(Pair(volunteer.householdID, need.householdID))
    }
}

/// Asking two parents separately whether they want to be introduced: nothing more than first name, group and languages
/// is shared until both said yes, and a no from either ends it (and keeps the two from being proposed again).
public struct BuddyIntroduction: Sendable, Equatable {
    public enum Party: String, Sendable, Codable { case parent, buddy }
    public enum State: String, Sendable, Codable {
        /// Waiting for one or both answers.
        case asking
        /// Both said yes: introduced.
        case paired
        case declined
        /// Nobody answered in time.
        case expired
        /// Either ended the pairing later.
        case ended
    }
    /// What answering did.
    public enum Outcome: Equatable, Sendable {
        case waitingForTheOther
        case paired
        case declined
        /// The introduction was decided already (or expired): the answer changes nothing.
        case alreadyDecided(State)
    }

    /// How long the two have to answer, and when both get the "is this helping?" check-in.
    public static let answerWithin: TimeInterval = 7 * 24 * 3600
    public static let checkInAfter: TimeInterval = 14 * 24 * 3600

    public var askedAt: Date
    public var parentConsent: Date?
    public var buddyConsent: Date?
    public private(set) var state: State = .asking

    public init(askedAt: Date, parentConsent: Date? = nil, buddyConsent: Date? = nil, state: State = .asking) {
        (self.askedAt, self.parentConsent, self.buddyConsent, self.state) = (askedAt, parentConsent, buddyConsent, state)
    }

    public var pairedAt: Date? { state == .paired || state == .ended ? [parentConsent, buddyConsent].compactMap { $0 }.max() : nil }
    public var checkInDue: Date? { state == .paired ? pairedAt.map { $0 + Self.checkInAfter } : nil }

    public mutating func answer(_ party: Party, yes: Bool, at now: Date) -> Outcome {
        if state == .asking, now >= askedAt + Self.answerWithin { state = .expired }
        guard state == .asking else { return .alreadyDecided(state) }
        guard yes else {
            state = .declined
            return .declined
        }
        switch party {
        case .parent: parentConsent = parentConsent ?? now
        case .buddy: buddyConsent = buddyConsent ?? now
        }
        guard parentConsent != nil, buddyConsent != nil else { return .waitingForTheOther }
        state = .paired
        return .paired
    }

    /// A question nobody (or only one) answered within `answerWithin` lapses; true when it did now.
    public mutating func expire(at now: Date) -> Bool {
        guard state == .asking, now >= askedAt + Self.answerWithin else { return false }
        state = .expired
        return true
    }

    /// Ends the question or the pairing because one of the two can no longer be reached: a pairing ends, an open
    /// question lapses. False when it was decided already.
    public mutating func withdraw() -> Bool {
        switch state {
        case .paired: state = .ended
        case .asking: state = .expired
        default: return false
        }
        return true
    }

    /// Either may end a pairing; ending twice (or one that never began) changes nothing.
    public mutating func end() -> Bool {
        guard state == .paired else { return false }
        state = .ended
        return true
    }
}
