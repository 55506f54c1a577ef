import Foundation
import GRDB

public struct ReceptionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "reception"
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
    public func receptions() throws -> [ReceptionRecord] { try ReceptionRecord.order(Column("startsAt")).fetchAll(db) }

    public func reception(id: String) throws -> ReceptionRecord? { try ReceptionRecord.fetchOne(db, key: id) }

    public func reception(icsToken: String) throws -> ReceptionRecord? {
        try ReceptionRecord.filter(Column("icsToken") == icsToken && Column("cancelledAt") == nil).fetchOne(db)
    }

    public func saveReception(_ reception: ReceptionRecord) throws { try reception.save(db) }

    /// The households with a child in `group`.
    public func households(ofGroup group: String) throws -> [Int64] {
        try Int64.fetchAll(db, sql: """
            SELECT DISTINCT childHousehold.householdID FROM childHousehold JOIN child ON child.id = childHousehold.childID
            WHERE child.groupID = ? ORDER BY childHousehold.householdID
            """, arguments: [group])
    }

    /// The households with a child in `group` that have a chat that can be sent messages (not stopped, not blocked).
    public func reachableHouseholds(ofGroup group: String) throws -> [Int64] {
        try Int64.fetchAll(db, sql: """
            SELECT DISTINCT childHousehold.householdID FROM childHousehold
            JOIN child ON child.id = childHousehold.childID
            JOIN contact ON contact.householdID = childHousehold.householdID AND contact.stoppedAt IS NULL AND contact.unreachableAt IS NULL
            WHERE child.groupID = ? ORDER BY childHousehold.householdID
            """, arguments: [group])
    }

    public func answerReception(id: String, householdID: Int64, answer: String, people: Int, at now: Date) throws {
        try db.execute(sql: """
            INSERT INTO receptionAnswer (receptionID, householdID, answer, people, at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (receptionID, householdID) DO UPDATE SET answer = excluded.answer, people = excluded.people, at = excluded.at
            """, arguments: [id, householdID, answer, people, now])
    }

    /// Each household's answer (yes, no or maybe) and how many people it brings.
    public func receptionAnswers(id: String) throws -> [Int64: (answer: String, people: Int)] {
        let rows = try Row.fetchAll(db, sql: "SELECT householdID, answer, people FROM receptionAnswer WHERE receptionID = ?", arguments: [id])
        return Dictionary(rows.map { ($0["householdID"], ($0["answer"], $0["people"])) }, uniquingKeysWith: { first, _ in first })
    }

    /// What a household said when asked whether it would like a buddy ("wants"), be one ("offers") or neither ("no").
    public func recordBuddyInterest(householdID: Int64, interest: String, source: String, at now: Date) throws {
        try db.execute(sql: """
            INSERT INTO buddyInterest (householdID, interest, source, at) VALUES (?, ?, ?, ?)
            ON CONFLICT (householdID, source) DO UPDATE SET interest = excluded.interest, at = excluded.at
            """, arguments: [householdID, interest, source, now])
    }

    public func buddyInterests() throws -> [(householdID: Int64, interest: String, source: String)] {
        try Row.fetchAll(db, sql: "SELECT householdID, interest, source FROM buddyInterest ORDER BY at").map { ($0[0], $0[1], $0[2]) }
    }
}
