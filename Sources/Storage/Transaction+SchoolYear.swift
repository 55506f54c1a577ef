import Foundation

/// The school-year rollover's part in the database: clearing what belonged to the old year, and removing what left
/// with the old roster.
extension Transaction {
    /// When the latest talk of the year was, or would have been: the start of the last booked slot, else of the last slot.
    public func latestTalk() throws -> Date? {
        try value("SELECT MAX(startsAt) FROM slot WHERE id IN (SELECT slotID FROM booking)", [], as: Date.self)
            ?? value("SELECT MAX(startsAt) FROM slot", [], as: Date.self)
    }

    /// Clears what belonged to the old school year: its talks (bookings, talk times, answers), agreements with their
    /// follow-ups and check-ins, receptions and their answers, planned and finished jobs, messages (as retention deletes
    /// them: none still in flight) and staff's login sessions. Each chat's conversation starts afresh in its language
    /// (`resetSession` gives the stored session for a language). Households, their chats and guardians, children,
    /// staff accounts, invites and calendar feeds, the audit log, how each household fared in the planning rounds
    /// (the next round's fairness) and buddies (offers, requests and pairings are between parents, not of a year) stay. Returns the rows cleared per table.
    public func clearSchoolYear(resetSession: (String?) throws -> String) throws -> [(table: String, rows: Int)] {
        let messages = try purgeMessages(before: .distantFuture)
        var cleared: [(table: String, rows: Int)] = [("inbox", messages.inbox), ("outbox", messages.outbox)]
        // Children before parents, so each table's own rows are counted (a cascade would hide them).
        for table in ["job", "preTalkAnswer", "bookingAttendee", "booking", "slot", "agreementResponse", "checkInAnswer", "followUp", "agreementTranslation", "agreement",
                      "receptionAnswer", "reception", "buddyInterest", "staffSession",
                      "plannedTalk", "planningRound", "blockPreference", "timeWish"] {
            cleared.append((table, try execute("DELETE FROM \(table)")))
        }
        var sessions = 0
        for language in try values("SELECT DISTINCT language FROM contact", [], as: String?.self) {
            let session = try resetSession(language)
            sessions += try language.map { try execute("UPDATE contact SET session = ? WHERE language = ?", [session, $0]) }
                ?? execute("UPDATE contact SET session = ? WHERE language IS NULL", [session])
        }
        cleared.append(("contact sessions (started afresh)", sessions))
        return cleared
    }

    /// Removes the children not in `keeping`, and every child's link to its households (the new roster links them again).
    /// Returns how many children were removed.
    public func removeChildren(keeping: Set<String>) throws -> Int {
        let leaving = try values("SELECT id FROM child", [], as: String.self).filter { !keeping.contains($0) }
        for id in leaving { try execute("DELETE FROM child WHERE id = ?", [id]) }
        try execute("DELETE FROM childHousehold")
        return leaving.count
    }

    /// Households no child is linked to (any more).
    public func householdsWithoutChildren() throws -> [HouseholdRecord] {
        try records("""
            SELECT * FROM household WHERE NOT EXISTS (SELECT 1 FROM childHousehold WHERE childHousehold.householdID = household.id) ORDER BY key
            """, [], as: HouseholdRecord.self)
    }

    /// A household that left the school: erased as for the family's own request, then the household itself, so nothing
    /// of it remains (its talks were cleared with the old year).
    public func remove(household: HouseholdRecord, makeInviteCode: () -> String) throws {
        _ = try erase(household: household, makeInviteCode: makeInviteCode)
        try execute("DELETE FROM household WHERE id = ?", [household.id])
    }
}
