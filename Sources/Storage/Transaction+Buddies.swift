import Foundation

/// A parent who offered to be a buddy.
public struct BuddyVolunteerRecord: Sendable, Equatable {
    public var householdID: Int64
    public var languages: [String]
    public var situations: [String]
    public var capacity: Int
    public var pausedAt: Date?
    public var createdAt: Date

    init(row: SQLRow) {
        householdID = row["householdID"]
        languages = (row["languages"] as String).split(separator: ",").map(String.init)
        situations = (row["situations"] as String).split(separator: ",").map(String.init)
        (capacity, pausedAt, createdAt) = (row["capacity"], row["pausedAt"], row["createdAt"])
    }
}

/// A parent's request for a buddy, or a need a teacher or staff flagged (which the parent accepts first).
public struct BuddyNeedRecord: Sendable, Equatable, Codable, StoredRecord {
    public static let tableName = "buddyNeed"
    public var id: Int64
    public var householdID: Int64
    public var situation: String
    /// "parent", "teacher:<id>" or "staff:<user>".
    public var source: String
    public var createdAt: Date
    public var acceptedAt: Date?
    public var closedAt: Date?
    /// Why nobody could be proposed at the last try.
    public var unmatched: String?
}

/// Two parents asked whether they want to be introduced, and what became of it.
public struct BuddyIntroductionRecord: Sendable, Equatable, Codable, StoredRecord {
    public static let tableName = "buddyIntroduction"
    public var id: Int64
    public var needID: Int64
    /// The parent who needs a buddy, and the buddy.
    public var parentID: Int64
    public var buddyID: Int64
    /// The language the two share.
    public var language: String
    public var askedAt: Date
    public var parentConsentAt: Date?
    public var buddyConsentAt: Date?
    /// asking, paired, declined, expired or ended.
    public var state: String
    public var endedAt: Date?
    public var parentSharesContact: Bool
    public var buddySharesContact: Bool
    /// Each one's answer to the check-in: good or poor.
    public var parentCheckIn: String?
    public var buddyCheckIn: String?

    /// The other household of the two, seen from `household`; nil when `household` is neither.
    public func other(than household: Int64) -> Int64? {
        household == parentID ? buddyID : household == buddyID ? parentID : nil
    }
}

/// Buddies: volunteers, needs, and the introductions between them.
extension Transaction {
    // MARK: Volunteers

    public func buddyVolunteer(household: Int64) throws -> BuddyVolunteerRecord? {
        try row("SELECT * FROM buddyVolunteer WHERE householdID = ?", [household]).map(BuddyVolunteerRecord.init)
    }

    public func buddyVolunteers() throws -> [BuddyVolunteerRecord] {
        try rows("SELECT * FROM buddyVolunteer ORDER BY householdID").map(BuddyVolunteerRecord.init)
    }

    /// Offers (or changes the offer of) a household as a buddy; a paused offer stays paused.
    public func saveBuddyVolunteer(household: Int64, languages: [String], situations: [String], capacity: Int, at now: Date) throws {
        try execute("""
            INSERT INTO buddyVolunteer (householdID, languages, situations, capacity, createdAt) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (householdID) DO UPDATE SET languages = excluded.languages, situations = excluded.situations, capacity = excluded.capacity
            """, [household, languages.joined(separator: ","), situations.joined(separator: ","), capacity, now])
    }

    /// Pauses (a date) or resumes (nil) a volunteer's offer.
    public func pauseBuddyVolunteer(household: Int64, at pausedAt: Date?) throws {
        try execute("UPDATE buddyVolunteer SET pausedAt = ? WHERE householdID = ?", [pausedAt, household])
    }

    public func removeBuddyVolunteer(household: Int64) throws {
        try execute("DELETE FROM buddyVolunteer WHERE householdID = ?", [household])
    }

    // MARK: Needs

    public func openBuddyNeed(household: Int64) throws -> BuddyNeedRecord? {
        try record("SELECT * FROM buddyNeed WHERE householdID = ? AND closedAt IS NULL", [household])
    }

    public func buddyNeed(id: Int64) throws -> BuddyNeedRecord? { try record(id: id) }

    /// Opens a need for the household, or returns the open one it has (a household has one open need at a time).
    public func openBuddyNeed(household: Int64, situation: String, source: String, acceptedAt: Date?, at now: Date) throws -> BuddyNeedRecord {
        if let open = try openBuddyNeed(household: household) { return open }
        let id: Int64 = try value("""
            INSERT INTO buddyNeed (householdID, situation, source, createdAt, acceptedAt) VALUES (?, ?, ?, ?, ?) RETURNING id
            """, [household, situation, source, now, acceptedAt])!
        return BuddyNeedRecord(id: id, householdID: household, situation: situation, source: source, createdAt: now, acceptedAt: acceptedAt)
    }

    public func saveBuddyNeed(_ need: BuddyNeedRecord) throws { try update(need) }

    /// Accepted open needs without an introduction under way, oldest first: the ones to find a buddy for.
    public func buddyNeedsWaiting() throws -> [BuddyNeedRecord] {
        try records("""
            SELECT * FROM buddyNeed WHERE closedAt IS NULL AND acceptedAt IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM buddyIntroduction WHERE needID = buddyNeed.id AND state IN ('asking', 'paired'))
            ORDER BY createdAt, id
            """, [], as: BuddyNeedRecord.self)
    }

    public func buddyNeeds() throws -> [BuddyNeedRecord] { try records("SELECT * FROM buddyNeed ORDER BY createdAt, id") }

    // MARK: Introductions

    public func insertBuddyIntroduction(needID: Int64, parentID: Int64, buddyID: Int64, language: String, at now: Date) throws -> BuddyIntroductionRecord {
        let id: Int64 = try value("""
            INSERT INTO buddyIntroduction (needID, parentID, buddyID, language, askedAt, state) VALUES (?, ?, ?, ?, ?, 'asking') RETURNING id
            """, [needID, parentID, buddyID, language, now])!
        return BuddyIntroductionRecord(id: id, needID: needID, parentID: parentID, buddyID: buddyID, language: language,
                                       askedAt: now, state: "asking", parentSharesContact: false, buddySharesContact: false)
    }

    public func buddyIntroduction(id: Int64) throws -> BuddyIntroductionRecord? { try record(id: id) }

    public func saveBuddyIntroduction(_ introduction: BuddyIntroductionRecord) throws { try update(introduction) }

    /// Every introduction the household is in, as parent or as buddy, newest first.
    public func buddyIntroductions(household: Int64) throws -> [BuddyIntroductionRecord] {
        try records("SELECT * FROM buddyIntroduction WHERE parentID = ? OR buddyID = ? ORDER BY id DESC", [household, household], as: BuddyIntroductionRecord.self)
    }

    public func buddyIntroductions() throws -> [BuddyIntroductionRecord] { try records("SELECT * FROM buddyIntroduction ORDER BY id") }

    /// How many parents each buddy is being introduced to or paired with now.
    public func activeBuddyCounts() throws -> [Int64: Int] {
        Dictionary(uniqueKeysWithValues: try rows("""
            SELECT buddyID, COUNT(*) FROM buddyIntroduction WHERE state IN ('asking', 'paired') GROUP BY buddyID
            """).map { ($0[0], $0[1]) })
    }

    /// The pairs of households that must not be proposed to each other again: one declined or did not answer, or their
    /// pairing ended.
    public func buddyPairsNotToPropose() throws -> [(Int64, Int64)] {
        try rows("SELECT parentID, buddyID FROM buddyIntroduction WHERE state IN ('declined', 'expired', 'ended')")
            .map { ($0[0], $0[1]) }
    }

    // MARK: Messages waiting for their translation

    public func queueBuddyMessage(introductionID: Int64, from household: Int64, language: String, text: String, at now: Date) throws {
        try execute("INSERT INTO buddyMessage (introductionID, fromHouseholdID, language, text, createdAt) VALUES (?, ?, ?, ?, ?)", [introductionID, household, language, text, now])
    }

    /// The messages waiting, oldest first.
    public func waitingBuddyMessages(limit: Int) throws -> [BuddyMessageRecord] {
        try records("SELECT * FROM buddyMessage ORDER BY id LIMIT ?", [limit], as: BuddyMessageRecord.self)
    }

    /// Removes a message once it is queued for the other (the outbox has it now).
    public func removeBuddyMessage(id: Int64) throws -> Bool {
        try execute("DELETE FROM buddyMessage WHERE id = ?", [id]) == 1
    }
}

/// A buddy's message waiting for its translation.
public struct BuddyMessageRecord: Sendable, Equatable, StoredRecord {
    public static let tableName = "buddyMessage"
    public var id: Int64
    public var introductionID: Int64
    public var fromHouseholdID: Int64
    /// The language the writer chats in.
    public var language: String
    public var text: String
    public var createdAt: Date
}
