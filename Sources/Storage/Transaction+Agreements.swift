import Foundation

/// The communicatieplan: agreements, what parents said about them, the teacher's follow-ups and the check-in answers.
extension Transaction {
    public func insertAgreement(_ agreement: AgreementRecord) throws -> AgreementRecord {
        var record = agreement
        try insert(&record)
        return record
    }

    public func updateAgreement(_ agreement: AgreementRecord) throws { try update(agreement) }

    public func agreement(id: Int64) throws -> AgreementRecord? { try record(id: id) }

    /// The child's agreements that still hold, oldest first.
    public func agreements(child: String) throws -> [AgreementRecord] {
        try records("SELECT * FROM agreement WHERE childID = ? AND cancelledAt IS NULL ORDER BY id", [child])
    }

    /// Every agreement that still holds: the scheduler replans them all at start.
    public func activeAgreements() throws -> [AgreementRecord] {
        try records("SELECT * FROM agreement WHERE cancelledAt IS NULL ORDER BY id")
    }

    /// Pending jobs whose key starts with `prefix` ("agreement:12:"), through the key's unique index.
    public func pendingJobs(keyPrefix prefix: String) throws -> [JobRecord] {
        try records("SELECT * FROM job WHERE key >= ? AND key < ? AND status = 'pending'", [prefix, prefix + "\u{10FFFF}"], as: JobRecord.self)
    }

    // MARK: - Parents' answers

    public func respond(agreementID: Int64, householdID: Int64, matches: Bool, comment: String?, at now: Date) throws {
        try execute("""
            INSERT INTO agreementResponse (agreementID, householdID, matches, comment, at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (agreementID, householdID) DO UPDATE SET matches = excluded.matches, comment = excluded.comment, at = excluded.at
            """, [agreementID, householdID, matches, comment, now])
    }

    /// What each household said about the agreement, by household.
    public func responses(agreementID: Int64) throws -> [Int64: (matches: Bool, comment: String?)] {
        let rows = try rows("SELECT householdID, matches, comment FROM agreementResponse WHERE agreementID = ?", [agreementID])
        return Dictionary(rows.map { ($0["householdID"], ($0["matches"], $0["comment"])) }, uniquingKeysWith: { first, _ in first })
    }

    /// A changed agreement is a new text to confirm: earlier answers were about the old one.
    public func forgetResponses(agreementID: Int64) throws {
        try execute("DELETE FROM agreementResponse WHERE agreementID = ?", [agreementID])
    }

    // MARK: - Follow-ups

    /// The follow-up of the agreement on `day`, made open on first use.
    public func followUp(agreementID: Int64, day: String) throws -> FollowUpRecord {
        try execute("INSERT INTO followUp (agreementID, day, status) VALUES (?, ?, 'open') ON CONFLICT DO NOTHING", [agreementID, day])
        return try record("SELECT * FROM followUp WHERE agreementID = ? AND day = ?", [agreementID, day])!
    }

    public func followUp(id: Int64) throws -> FollowUpRecord? { try record(id: id) }

    public func finishFollowUp(id: Int64, status: String, at now: Date) throws {
        try execute("UPDATE followUp SET status = ?, finishedAt = ? WHERE id = ?", [status, now, id])
    }

    /// Follow-ups still open from before `day`, of one teacher or of all, with their agreements, oldest first.
    public func overdueFollowUps(teacher: String? = nil, before day: String) throws -> [(followUp: FollowUpRecord, agreement: AgreementRecord)] {
        try rows("""
            SELECT followUp.id, followUp.agreementID, followUp.day, followUp.status, followUp.finishedAt, agreement.*
            FROM followUp JOIN agreement ON agreement.id = followUp.agreementID
            WHERE followUp.status = 'open' AND followUp.day < ? AND agreement.cancelledAt IS NULL\(teacher == nil ? "" : " AND agreement.teacherID = ?")
            ORDER BY followUp.day, followUp.id
            """, [day] + (teacher.map { [$0] } ?? [])).map { (try FollowUpRecord(row: $0.columns(0..<5)), try AgreementRecord(row: $0.columns(5..<$0.values.count))) }
    }

    // MARK: - Check-ins

    public func saveCheckIn(agreementID: Int64, householdID: Int64, day: String, answer: String, comment: String?, at now: Date) throws {
        try execute("""
            INSERT INTO checkInAnswer (agreementID, householdID, day, answer, comment, at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (agreementID, householdID, day) DO UPDATE SET answer = excluded.answer, comment = excluded.comment, at = excluded.at
            """, [agreementID, householdID, day, answer, comment, now])
    }

    public func checkInAnswers(agreementID: Int64) throws -> [(householdID: Int64, day: String, answer: String, comment: String?)] {
        try rows("SELECT householdID, day, answer, comment FROM checkInAnswer WHERE agreementID = ? ORDER BY day, householdID", [agreementID]).map { ($0["householdID"], $0["day"], $0["answer"], $0["comment"]) }
    }

    // MARK: - Coverage

    /// Per group: how many children, how many have a startgesprek booked, and how many had it already (its end is
    /// before `now`): criterion 9 of the school's own evaluation.
    public func talkCoverage(now: Date) throws -> [(group: String, children: Int, booked: Int, held: Int)] {
        try rows("""
            SELECT child.groupID,
                   COUNT(*) AS children,
                   SUM(CASE WHEN EXISTS (SELECT 1 FROM booking WHERE booking.childID = child.id AND booking.cancelledAt IS NULL) THEN 1 ELSE 0 END) AS booked,
                   SUM(CASE WHEN EXISTS (SELECT 1 FROM booking JOIN slot ON slot.id = booking.slotID
                                         WHERE booking.childID = child.id AND booking.cancelledAt IS NULL AND slot.endsAt <= ?) THEN 1 ELSE 0 END) AS held
            FROM child GROUP BY child.groupID ORDER BY child.groupID
            """, [now]).map { ($0[0], $0[1], $0[2], $0[3]) }
    }
}
