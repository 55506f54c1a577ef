import Foundation

/// One child's talk in a round's proposal: the time the planner (or staff, pinning it) gave it, or why it has none.
public struct PlannedTalkRecord: Codable, Sendable, Equatable, StoredRecord {
    public static let tableName = "plannedTalk"
    public var roundID: String
    /// As a booking's scope: one talk per child, or per child and household when separated parents come apart.
    public var scope: String
    public var childID: String
    /// The household the talk is booked for (with a joint talk, the other household attends it too).
    public var householdID: Int64
    public var slotID: Int64?
    /// How the household found the block ("good", "possible"); nil when it never answered or the talk has no time.
    public var level: String?
    public var reason: String?
    public var pinned: Bool

    public init(roundID: String, scope: String, childID: String, householdID: Int64, slotID: Int64?, level: String?, reason: String?, pinned: Bool) {
        (self.roundID, self.scope, self.childID, self.householdID) = (roundID, scope, childID, householdID)
        (self.slotID, self.level, self.reason, self.pinned) = (slotID, level, reason, pinned)
    }
}

public struct PlanningRoundRecord: Codable, Sendable, Equatable, StoredRecord {
    public static let tableName = "planningRound"
    public var id: String
    public var plannedAt: Date
    public var publishedAt: Date?
}

/// A household's answers in a preference round.
public struct HouseholdPreferences: Sendable, Equatable {
    /// block id → "good", "possible" or "not_possible"
    public var blocks: [String: String]
    /// "none", "early" or "late"
    public var wish: String
}

/// The fair planning round in the database: households' answers, the proposal staff look at and pin, publishing it
/// once, and each household's outcome, kept for the next round's fairness.
extension Transaction {
    public func savePreference(household: Int64, block: String, suitability: String, at now: Date) throws {
        try execute("""
            INSERT INTO blockPreference (householdID, block, suitability, updatedAt) VALUES (?, ?, ?, ?)
            ON CONFLICT (householdID, block) DO UPDATE SET suitability = excluded.suitability, updatedAt = excluded.updatedAt
            """, [household, block, suitability, now])
    }

    public func saveWish(household: Int64, wish: String, at now: Date) throws {
        try execute("""
            INSERT INTO timeWish (householdID, wish, updatedAt) VALUES (?, ?, ?)
            ON CONFLICT (householdID) DO UPDATE SET wish = excluded.wish, updatedAt = excluded.updatedAt
            """, [household, wish, now])
    }

    /// The answers of every household that gave any (only the household's own when `household` is given).
    public func preferences(household: Int64? = nil) throws -> [Int64: HouseholdPreferences] {
        let filter = household == nil ? "" : " WHERE householdID = ?"
        let arguments: [any SQLBindable] = household.map { [$0] } ?? []
        var result: [Int64: HouseholdPreferences] = [:]
        for row in try rows("SELECT householdID, block, suitability FROM blockPreference" + filter, arguments) {
            result[row[0], default: HouseholdPreferences(blocks: [:], wish: "none")].blocks[row[1]] = row[2]
        }
        for row in try rows("SELECT householdID, wish FROM timeWish" + filter, arguments) {
            result[row[0], default: HouseholdPreferences(blocks: [:], wish: "none")].wish = row[1]
        }
        return result
    }

    /// The households that gave any answer (without reading the answers).
    public func householdsThatAnswered() throws -> Set<Int64> {
        Set(try values("SELECT householdID FROM blockPreference UNION SELECT householdID FROM timeWish"))
    }

    public func planningRound(id: String) throws -> PlanningRoundRecord? { try record(id: id) }

    /// Replaces the round's proposal (a published round cannot be planned again: returns false).
    public func saveProposal(round: String, talks: [PlannedTalkRecord], at now: Date) throws -> Bool {
        if let existing = try planningRound(id: round) {
            guard existing.publishedAt == nil else { return false }
            try execute("UPDATE planningRound SET plannedAt = ? WHERE id = ?", [now, round])
            try execute("DELETE FROM plannedTalk WHERE roundID = ?", [round])
        } else {
            try insert(PlanningRoundRecord(id: round, plannedAt: now, publishedAt: nil))
        }
        for talk in talks { try insert(talk) }
        return true
    }

    public func plannedTalks(round: String) throws -> [PlannedTalkRecord] {
        try records("SELECT * FROM plannedTalk WHERE roundID = ? ORDER BY childID, scope", [round])
    }

    /// Marks the round published; false when it already was (so publishing twice sends nothing twice).
    public func markPublished(round: String, at now: Date) throws -> Bool {
        try execute("UPDATE planningRound SET publishedAt = ? WHERE id = ? AND publishedAt IS NULL", [now, round]) == 1
    }

    public func saveOutcomes(round: String, _ outcomes: [Int64: String]) throws {
        for (household, outcome) in outcomes {
            try execute("""
                INSERT INTO roundOutcome (roundID, householdID, outcome) VALUES (?, ?, ?)
                ON CONFLICT (roundID, householdID) DO UPDATE SET outcome = excluded.outcome
                """, [round, household, outcome])
        }
    }

    /// How each household fared in the latest published round before `round`.
    public func previousOutcomes(before round: String) throws -> [Int64: String] {
        guard let previous = try value("SELECT MAX(roundID) FROM roundOutcome WHERE roundID < ?", [round], as: String.self) else { return [:] }
        return Dictionary(uniqueKeysWithValues: try rows("SELECT householdID, outcome FROM roundOutcome WHERE roundID = ?", [previous]).map { ($0[0], $0[1]) })
    }
}
