import Foundation
import GRDB

/// The communicatieplan: agreements, what parents said about them, the teacher's follow-ups and the check-in answers.
extension Transaction {
    public func insertAgreement(_ agreement: AgreementRecord) throws -> AgreementRecord {
        var record = agreement
        try record.insert(db)
        return record
    }

    public func updateAgreement(_ agreement: AgreementRecord) throws { try agreement.update(db) }

    public func agreement(id: Int64) throws -> AgreementRecord? { try AgreementRecord.fetchOne(db, key: id) }

    /// The child's agreements that still hold, oldest first.
    public func agreements(child: String) throws -> [AgreementRecord] {
        try AgreementRecord.filter(Column("childID") == child && Column("cancelledAt") == nil).order(Column("id")).fetchAll(db)
    }

    /// Every agreement that still holds: the scheduler replans them all at start.
    public func activeAgreements() throws -> [AgreementRecord] {
        try AgreementRecord.filter(Column("cancelledAt") == nil).order(Column("id")).fetchAll(db)
    }

    /// Pending jobs whose key starts with `prefix` ("agreement:12:"), through the key's unique index.
    public func pendingJobs(keyPrefix prefix: String) throws -> [JobRecord] {
        try JobRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM job WHERE key >= ? AND key < ? AND status = 'pending'"),
                               arguments: [prefix, prefix + "\u{10FFFF}"])
    }

    // MARK: - Parents' answers

    public func respond(agreementID: Int64, householdID: Int64, matches: Bool, comment: String?, at now: Date) throws {
        try db.execute(sql: """
            INSERT INTO agreementResponse (agreementID, householdID, matches, comment, at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (agreementID, householdID) DO UPDATE SET matches = excluded.matches, comment = excluded.comment, at = excluded.at
            """, arguments: [agreementID, householdID, matches, comment, now])
    }

    /// What each household said about the agreement, by household.
    public func responses(agreementID: Int64) throws -> [Int64: (matches: Bool, comment: String?)] {
        let rows = try Row.fetchAll(db, sql: "SELECT householdID, matches, comment FROM agreementResponse WHERE agreementID = ?", arguments: [agreementID])
        return Dictionary(rows.map { ($0["householdID"], ($0["matches"], $0["comment"])) }, uniquingKeysWith: { first, _ in first })
    }

    /// A changed agreement is a new text to confirm: earlier answers were about the old one.
    public func forgetResponses(agreementID: Int64) throws {
        try db.execute(sql: "DELETE FROM agreementResponse WHERE agreementID = ?", arguments: [agreementID])
    }

    // MARK: - Follow-ups

    /// The follow-up of the agreement on `day`, made open on first use.
    public func followUp(agreementID: Int64, day: String) throws -> FollowUpRecord {
        try db.execute(sql: "INSERT OR IGNORE INTO followUp (agreementID, day, status) VALUES (?, ?, 'open')", arguments: [agreementID, day])
        return try FollowUpRecord.filter(Column("agreementID") == agreementID && Column("day") == day).fetchOne(db)!
    }

    public func followUp(id: Int64) throws -> FollowUpRecord? { try FollowUpRecord.fetchOne(db, key: id) }

    public func finishFollowUp(id: Int64, status: String, at now: Date) throws {
        try db.execute(sql: "UPDATE followUp SET status = ?, finishedAt = ? WHERE id = ?", arguments: [status, now, id])
    }

    /// Follow-ups still open from before `day`, of one teacher or of all, with their agreements, oldest first.
    public func overdueFollowUps(teacher: String? = nil, before day: String) throws -> [(followUp: FollowUpRecord, agreement: AgreementRecord)] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT followUp.id, followUp.agreementID, followUp.day, followUp.status, followUp.finishedAt, agreement.*
            FROM followUp JOIN agreement ON agreement.id = followUp.agreementID
            WHERE followUp.status = 'open' AND followUp.day < ? AND agreement.cancelledAt IS NULL AND (? IS NULL OR agreement.teacherID = ?)
            ORDER BY followUp.day, followUp.id
            """, arguments: [day, teacher, teacher], adapter: ScopeAdapter(["followUp": RangeRowAdapter(0..<5), "agreement": SuffixRowAdapter(fromIndex: 5)]))
        return try rows.map { (try FollowUpRecord(row: $0.scopes["followUp"]!), try AgreementRecord(row: $0.scopes["agreement"]!)) }
    }

    // MARK: - Check-ins

    public func saveCheckIn(agreementID: Int64, householdID: Int64, day: String, answer: String, comment: String?, at now: Date) throws {
        try db.execute(sql: """
            INSERT INTO checkInAnswer (agreementID, householdID, day, answer, comment, at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (agreementID, householdID, day) DO UPDATE SET answer = excluded.answer, comment = excluded.comment, at = excluded.at
            """, arguments: [agreementID, householdID, day, answer, comment, now])
    }

    public func checkInAnswers(agreementID: Int64) throws -> [(householdID: Int64, day: String, answer: String, comment: String?)] {
        try Row.fetchAll(db, sql: "SELECT householdID, day, answer, comment FROM checkInAnswer WHERE agreementID = ? ORDER BY day, householdID",
                         arguments: [agreementID]).map { ($0["householdID"], $0["day"], $0["answer"], $0["comment"]) }
    }

    // MARK: - Coverage

    /// Per group: how many children, how many have a startgesprek booked, and how many had it already (its end is
    /// before `now`): criterion 9 of the school's own evaluation.
    public func talkCoverage(now: Date) throws -> [(group: String, children: Int, booked: Int, held: Int)] {
        try Row.fetchAll(db, sql: """
            SELECT child.groupID,
                   COUNT(*) AS children,
                   SUM(EXISTS (SELECT 1 FROM booking WHERE booking.childID = child.id AND booking.cancelledAt IS NULL)) AS booked,
                   SUM(EXISTS (SELECT 1 FROM booking JOIN slot ON slot.id = booking.slotID
                               WHERE booking.childID = child.id AND booking.cancelledAt IS NULL AND slot.endsAt <= ?)) AS held
            FROM child GROUP BY child.groupID ORDER BY child.groupID
            """, arguments: [now]).map { ($0[0], $0[1], $0[2], $0[3]) }
    }
}
