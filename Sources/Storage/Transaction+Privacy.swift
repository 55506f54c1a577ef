import Foundation
import SamenspraakCore

/// Everything stored about one household, as it is handed to the family on request (AVG/GDPR right of access).
public struct HouseholdExport: Codable, Sendable {
    public struct Guardian: Codable, Sendable { public var name, phone, language: String }
    public struct Child: Codable, Sendable { public var id, firstName, lastName, group: String }
    public struct Chat: Codable, Sendable {
        public var channel, address: String
        public var language: String?
        public var createdAt: Date
        public var stoppedAt, unreachableAt: Date?
    }
    public struct Talk: Codable, Sendable {
        public var child: String
        public var startsAt: Date
        public var teacher, place: String
        public var cancelledAt: Date?
    }
    public struct Answer: Codable, Sendable { public var child, question, answer: String; public var updatedAt: Date }
    public struct Agreement: Codable, Sendable {
        public var id: Int64
        public var child, who, what, why, when, how: String
        public var checkIn: String?
        public var cancelledAt: Date?
        public var response: String?
        public var comment: String?
    }
    public struct CheckIn: Codable, Sendable { public var agreement: Int64; public var day, answer: String; public var comment: String? }
    public struct ReceptionAnswer: Codable, Sendable { public var reception, answer: String; public var people: Int }
    public struct BuddyInterest: Codable, Sendable { public var interest, source: String }
    /// The household's buddy offer, its requests, and its introductions (the other household only as "parent" or "buddy").
    public struct Buddies: Codable, Sendable {
        public struct Offer: Codable, Sendable { public var languages, situations: [String]; public var capacity: Int; public var pausedAt: Date? }
        public struct Request: Codable, Sendable { public var situation, source: String; public var createdAt: Date; public var acceptedAt, closedAt: Date? }
        public struct Introduction: Codable, Sendable {
            /// "parent" when this household asked for the buddy, "buddy" when it was the buddy.
            public var role, state: String
            public var askedAt: Date
            public var consentedAt, endedAt: Date?
            public var sharedPhone: Bool
        }
        public var offer: Offer?
        public var requests: [Request]
        public var introductions: [Introduction]
    }
    public struct Preferences: Codable, Sendable { public var blocks: [String: String]; public var wish: String; public var rounds: [String: String] }
    public struct Message: Codable, Sendable {
        public var direction, channel: String
        public var at: Date
        public var text: String
    }

    public var household: String
    public var inviteCode: String
    public var guardians: [Guardian]
    public var children: [Child]
    public var chats: [Chat]
    public var talks: [Talk]
    public var preTalkAnswers: [Answer]
    public var agreements: [Agreement]
    public var checkIns: [CheckIn]
    public var receptionAnswers: [ReceptionAnswer]
    public var buddyInterest: [BuddyInterest]
    public var buddies: Buddies
    /// What the household said in the planning round (block → good/possible/not_possible) and how it fared per round.
    public var preferences: Preferences
    public var messages: [Message]
}

/// What erasing a household removed.
public struct ErasureReport: Sendable, Equatable {
    public var chats = 0
    public var messages = 0
    public var answers = 0
    public var jobs = 0
}

/// The family's rights over its data: export everything, or erase it (messages, answers, chats and guardians' names
/// and numbers), leaving the talks as anonymous counts so the school's figures (booked, held) stay right.
extension Transaction {
    public func household(key: String) throws -> HouseholdRecord? { try record("SELECT * FROM household WHERE key = ?", [key]) }

    public func export(household: HouseholdRecord) throws -> HouseholdExport {
        let id = household.id ?? 0
        let contacts = try contacts(household: id)
        let children = try children(household: id)
        var messages: [HouseholdExport.Message] = []
        let decoder = JSONDecoder()
        for contact in contacts {
            for row in try rows("SELECT receivedAt, text FROM inbox WHERE contactID = ? AND text IS NOT NULL", [contact.id]) {
                messages.append(.init(direction: "from the family", channel: contact.channel, at: row["receivedAt"], text: row["text"]))
            }
            for row in try rows("SELECT createdAt, payload FROM outbox WHERE contactID = ?", [contact.id]) {
                let payload: String = row["payload"]
                let text = (try? decoder.decode(OutboundMessage.self, from: Data(payload.utf8)))?.text ?? payload
                messages.append(.init(direction: "to the family", channel: contact.channel, at: row["createdAt"], text: text))
            }
        }
        var agreements: [HouseholdExport.Agreement] = []
        var checkIns: [HouseholdExport.CheckIn] = []
        for child in children {
            for agreement in try records("SELECT * FROM agreement WHERE childID = ? ORDER BY id", [child.id], as: AgreementRecord.self) {
                let agreementID = agreement.id ?? 0
                let response = try responses(agreementID: agreementID)[id]
                agreements.append(.init(id: agreementID, child: child.firstName, who: agreement.who, what: agreement.what, why: agreement.why,
                                        when: agreement.moments, how: agreement.how, checkIn: agreement.checkIn, cancelledAt: agreement.cancelledAt,
                                        response: response.map { $0.matches ? "matches" : "does not match" }, comment: response?.comment))
                checkIns += try checkInAnswers(agreementID: agreementID).filter { $0.householdID == id }
                    .map { .init(agreement: agreementID, day: $0.day, answer: $0.answer, comment: $0.comment) }
            }
        }
        let answers = try preferences(household: id)[id]
        return HouseholdExport(
            household: household.key, inviteCode: household.inviteCode,
            guardians: try guardians(household: id).map { .init(name: $0.name, phone: $0.phone, language: $0.language) },
            children: children.map { .init(id: $0.id, firstName: $0.firstName, lastName: $0.lastName, group: $0.groupID) },
            chats: contacts.map { .init(channel: $0.channel, address: $0.address, language: $0.language, createdAt: $0.createdAt,
                                        stoppedAt: $0.stoppedAt, unreachableAt: $0.unreachableAt) },
            talks: try rows("""
                SELECT child.firstName, slot.startsAt, slot.teacherID, slot.place, booking.cancelledAt FROM booking
                JOIN bookingAttendee ON bookingAttendee.bookingID = booking.id AND bookingAttendee.householdID = ?
                JOIN slot ON slot.id = booking.slotID JOIN child ON child.id = booking.childID ORDER BY slot.startsAt
                """, [id]).map { .init(child: $0[0], startsAt: $0[1], teacher: $0[2], place: $0[3], cancelledAt: $0[4]) },
            preTalkAnswers: try rows("""
                SELECT child.firstName, question, answer, updatedAt FROM preTalkAnswer JOIN child ON child.id = preTalkAnswer.childID
                WHERE householdID = ? ORDER BY updatedAt
                """, [id]).map { .init(child: $0[0], question: $0[1], answer: $0[2], updatedAt: $0[3]) },
            agreements: agreements, checkIns: checkIns,
            receptionAnswers: try rows("SELECT receptionID, answer, people FROM receptionAnswer WHERE householdID = ?", [id])
                .map { .init(reception: $0[0], answer: $0[1], people: $0[2]) },
            buddyInterest: try rows("SELECT interest, source FROM buddyInterest WHERE householdID = ?", [id])
                .map { .init(interest: $0[0], source: $0[1]) },
            buddies: try buddyExport(household: id),
            preferences: .init(blocks: answers?.blocks ?? [:], wish: answers?.wish ?? "none",
                               rounds: Dictionary(uniqueKeysWithValues: try rows("SELECT roundID, outcome FROM roundOutcome WHERE householdID = ?", [id]).map { ($0[0], $0[1]) })),
            messages: messages.sorted { $0.at < $1.at })
    }

    /// Erases the household's messages, answers, chats and guardians, and its pending jobs; its talks stay as counts
    /// (their calendar links stop working) and it gets a new invite code, so an old letter no longer opens anything.
    public func erase(household: HouseholdRecord, makeInviteCode: () -> String) throws -> ErasureReport {
        let id = household.id ?? 0
        var report = ErasureReport()
        let householdContacts = try contacts(household: id)
        let contactIDs = householdContacts.compactMap(\.id)
        report.chats = contactIDs.count
        // A Matrix room's encryption keys would read the family's messages still on the homeserver: they go too.
        for contact in householdContacts where contact.channel == "matrix" { try forgetMatrixRoomKeys(roomID: contact.address) }
        for contactID in contactIDs {
            report.messages += try value("SELECT (SELECT COUNT(*) FROM inbox WHERE contactID = ?) + (SELECT COUNT(*) FROM outbox WHERE contactID = ?)", [contactID, contactID], as: Int.self) ?? 0
            try execute("DELETE FROM inbox WHERE contactID = ?", [contactID])
            try execute("DELETE FROM outbox WHERE contactID = ?", [contactID])
            try execute("DELETE FROM contact WHERE id = ?", [contactID])
        }
        // A pairing with another household goes too: it cannot go on without this one.
        report.answers += try execute("DELETE FROM buddyIntroduction WHERE parentID = ? OR buddyID = ?", [id, id])
        for table in ["preTalkAnswer", "agreementResponse", "checkInAnswer", "receptionAnswer", "buddyInterest", "blockPreference", "timeWish",
                      "roundOutcome", "buddyNeed", "buddyVolunteer"] {
            report.answers += try execute("DELETE FROM \(table) WHERE householdID = ?", [id])
        }
        report.jobs = try execute("DELETE FROM job WHERE householdID = ? AND status = 'pending'", [id])
        try execute("DELETE FROM guardian WHERE householdID = ?", [id])
        for booking in try values("SELECT id FROM booking WHERE householdID = ?", [id], as: Int64.self) {
            try execute("UPDATE booking SET icsToken = ? WHERE id = ?", [(0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined(), booking])
        }
        try execute("UPDATE household SET inviteCode = ? WHERE id = ?", [try unusedInviteCode(makeInviteCode), id])
        return report
    }

    func buddyExport(household id: Int64) throws -> HouseholdExport.Buddies {
        HouseholdExport.Buddies(
            offer: try buddyVolunteer(household: id).map { .init(languages: $0.languages, situations: $0.situations, capacity: $0.capacity, pausedAt: $0.pausedAt) },
            requests: try records("SELECT * FROM buddyNeed WHERE householdID = ? ORDER BY id", [id], as: BuddyNeedRecord.self)
                .map { .init(situation: $0.situation, source: $0.source, createdAt: $0.createdAt, acceptedAt: $0.acceptedAt, closedAt: $0.closedAt) },
            introductions: try buddyIntroductions(household: id).reversed().map { introduction in
                let asParent = introduction.parentID == id
                return .init(role: asParent ? "parent" : "buddy", state: introduction.state, askedAt: introduction.askedAt,
                             consentedAt: asParent ? introduction.parentConsentAt : introduction.buddyConsentAt, endedAt: introduction.endedAt,
                             sharedPhone: asParent ? introduction.parentSharesContact : introduction.buddySharesContact)
            })
    }
}
