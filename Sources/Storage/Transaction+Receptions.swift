import Foundation

public struct ReceptionRecord: Codable, Sendable, Equatable, StoredRecord {
    public static let tableName = "reception"
    public var id: String
    public var groupID: String
    public var startsAt: Date
    public var endsAt: Date
    public var place: String
    public var note: String?
    /// Secret part of the reception's calendar (.ics) link.
    public var icsToken: String
    public var cancelledAt: Date?
    /// Where it was planned: "file" (the school file) or "staff" (the CLI or the staff API).
    public var source: String

    public init(id: String, groupID: String, startsAt: Date, endsAt: Date, place: String, note: String?, icsToken: String,
                cancelledAt: Date? = nil, source: String = "file") {
        (self.id, self.groupID, self.startsAt, self.endsAt, self.place, self.note, self.icsToken, self.cancelledAt, self.source) =
            (id, groupID, startsAt, endsAt, place, note, icsToken, cancelledAt, source)
    }
}

/// The nieuwjaarsreceptie: receptions as last read from the school file, and each household's answer.
extension Transaction {
    public func receptions() throws -> [ReceptionRecord] { try records("SELECT * FROM reception ORDER BY startsAt") }

    public func reception(id: String) throws -> ReceptionRecord? { try record(id: id) }

    public func reception(icsToken: String) throws -> ReceptionRecord? {
        try record("SELECT * FROM reception WHERE icsToken = ? AND cancelledAt IS NULL", [icsToken])
    }

    public func saveReception(_ reception: ReceptionRecord) throws { try save(reception) }

    /// The households with a child in `group`.
    public func households(ofGroup group: String) throws -> [Int64] {
        try values("""
            SELECT DISTINCT childHousehold.householdID FROM childHousehold JOIN child ON child.id = childHousehold.childID
            WHERE child.groupID = ? ORDER BY childHousehold.householdID
            """, [group], as: Int64.self)
    }

    /// The households with a child in `group` that have a chat that can be sent messages (not stopped, not blocked).
    public func reachableHouseholds(ofGroup group: String) throws -> [Int64] {
        try values("""
            SELECT DISTINCT childHousehold.householdID FROM childHousehold
            JOIN child ON child.id = childHousehold.childID
            JOIN contact ON contact.householdID = childHousehold.householdID AND contact.stoppedAt IS NULL AND contact.unreachableAt IS NULL
            WHERE child.groupID = ? ORDER BY childHousehold.householdID
            """, [group], as: Int64.self)
    }

    public func answerReception(id: String, householdID: Int64, answer: String, people: Int, at now: Date) throws {
        try execute("""
            INSERT INTO receptionAnswer (receptionID, householdID, answer, people, at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (receptionID, householdID) DO UPDATE SET answer = excluded.answer, people = excluded.people, at = excluded.at
            """, [id, householdID, answer, people, now])
    }

    /// Each household's answer (yes, no or maybe) and how many people it brings.
    public func receptionAnswers(id: String) throws -> [Int64: (answer: String, people: Int)] {
        let rows = try rows("SELECT householdID, answer, people FROM receptionAnswer WHERE receptionID = ?", [id])
        return Dictionary(rows.map { ($0["householdID"], ($0["answer"], $0["people"])) }, uniquingKeysWith: { first, _ in first })
    }

    /// What a household said when asked whether it would like a buddy ("wants"), be one ("offers") or neither ("no").
    public func recordBuddyInterest(householdID: Int64, interest: String, source: String, at now: Date) throws {
        try execute("""
            INSERT INTO buddyInterest (householdID, interest, source, at) VALUES (?, ?, ?, ?)
            ON CONFLICT (householdID, source) DO UPDATE SET interest = excluded.interest, at = excluded.at
            """, [householdID, interest, source, now])
    }

    public func buddyInterests() throws -> [(householdID: Int64, interest: String, source: String)] {
        try rows("SELECT householdID, interest, source FROM buddyInterest ORDER BY at").map { ($0[0], $0[1], $0[2]) }
    }
}
