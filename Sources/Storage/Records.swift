import Foundation

public struct HouseholdRecord: Codable, Sendable, Equatable, AutoIDRecord {
    public static let tableName = "household"
    public var id: Int64?
    public var key: String
    public var inviteCode: String
    public var createdAt: Date
}

public struct GuardianRecord: Codable, Sendable, Equatable, AutoIDRecord {
    public static let tableName = "guardian"
    public var id: Int64?
    public var householdID: Int64
    public var name: String
    public var phone: String
    public var language: String
}

public struct ChildRecord: Codable, Sendable, Equatable, StoredRecord {
    public static let tableName = "child"
    public var id: String
    public var firstName: String
    public var lastName: String
    public var groupID: String

    public init(id: String, firstName: String, lastName: String, groupID: String) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.groupID = groupID
    }
}

public struct SlotRecord: Codable, Sendable, Equatable, AutoIDRecord {
    public static let tableName = "slot"
    public var id: Int64?
    public var teacherID: String
    public var startsAt: Date
    public var endsAt: Date
    public var kind: String
    public var place: String
    public var active: Bool
}

public struct BookingRecord: Codable, Sendable, Equatable, AutoIDRecord {
    public static let tableName = "booking"
    public var id: Int64?
    public var slotID: Int64
    public var childID: String
    public var householdID: Int64
    /// "child:<id>" when a child has one talk, "child:<id>/household:<id>" when separated parents book apart.
    public var scope: String
    /// Secret part of the booking's calendar (.ics) link.
    public var icsToken: String
    public var createdAt: Date
    public var cancelledAt: Date?
}

public struct ContactRecord: Codable, Sendable, Equatable, AutoIDRecord {
    public static let tableName = "contact"
    public var id: Int64?
    public var channel: String
    public var address: String
    /// Whose chat this is: a household's or (for a teacher's own account) a teacher's; exactly one is set.
    public var householdID: Int64?
    public var teacherID: String? = nil
    public var language: String?
    /// The dialogue session as JSON.
    public var session: String
    public var stoppedAt: Date?
    public var createdAt: Date
    /// Set when the platform says the person blocked us; nothing more is sent until they write again.
    public var unreachableAt: Date? = nil
    /// When the person last wrote to us (WhatsApp's 24-hour window is counted from it).
    public var lastInboundAt: Date? = nil


    /// Whether the school may send this contact what it sends on its own (notices, reminders): the person has not
    /// said "stop" and has not blocked us.
    public var receivesMessages: Bool { stoppedAt == nil && unreachableAt == nil }

    public var invitee: Invitee? {
        if let householdID { return .household(householdID) }
        return teacherID.map { .teacher($0) }
    }

    public mutating func belong(to invitee: Invitee) {
        switch invitee {
        case .household(let id): (householdID, teacherID) = (id, nil)
        case .teacher(let id): (householdID, teacherID) = (nil, id)
        }
    }
}

/// Who an invite code belongs to: a household (parents) or a teacher (staff invite).
public enum Invitee: Sendable, Hashable {
    case household(Int64)
    case teacher(String)
}

public struct OutboxRecord: Codable, Sendable, Equatable, AutoIDRecord {
    public static let tableName = "outbox"
    public var id: Int64?
    public var contactID: Int64
    public var channel: String
    public var address: String
    /// The `OutboundMessage` as JSON.
    public var payload: String
    /// pending → sending → sent, or failed (given up, visible to staff).
    public var status: String
    public var createdAt: Date
    public var sentAt: Date?
    public var attempts: Int = 0
    public var nextAttemptAt: Date? = nil
    public var lastError: String? = nil
    /// The platform's id of the sent message (a Telegram message_id).
    public var platformMessageID: String? = nil
    /// A reminder or nudge rather than a reply: sent after the replies waiting at the same time.
    public var unprompted: Bool = false
    /// The platform said this message can only go as a template (WhatsApp, outside the 24-hour window).
    public var templateRequired: Bool = false
    /// The template it was sent as, if it was.
    public var sentAsTemplate: String? = nil
    /// What the platform last reported after sending: "delivered" or "read" (nil: nothing beyond accepting it).
    public var receipt: String? = nil
    public var receiptAt: Date? = nil
    /// The instance that claimed it for sending (`Leases.instance`).
    public var claimedBy: String? = nil
}

/// A booking with what a message about it needs.
public struct BookingDetails: Sendable, Equatable, SQLRowDecodable {
    public var bookingID: Int64
    public var childID: String
    public var childFirstName: String
    public var householdID: Int64
    public var slotID: Int64
    public var teacherID: String
    public var startsAt: Date
    public var endsAt: Date
    public var place: String
    public var icsToken: String
}

// Rows read on every conversation step are decoded by hand: GRDB's Decodable path costs several times more.

extension ContactRecord {
    public init(row: SQLRow) throws {
        self.init(id: row["id"], channel: row["channel"], address: row["address"], householdID: row["householdID"], teacherID: row["teacherID"],
                  language: row["language"], session: row["session"], stoppedAt: row["stoppedAt"], createdAt: row["createdAt"], unreachableAt: row["unreachableAt"],
                  lastInboundAt: row["lastInboundAt"])
    }
}

extension SlotRecord {
    public init(row: SQLRow) throws {
        self.init(id: row["id"], teacherID: row["teacherID"], startsAt: row["startsAt"], endsAt: row["endsAt"], kind: row["kind"],
                  place: row["place"], active: row["active"])
    }
}

extension ChildRecord {
    public init(row: SQLRow) throws {
        self.init(id: row["id"], firstName: row["firstName"], lastName: row["lastName"], groupID: row["groupID"])
    }
}

extension OutboxRecord {
    public init(row: SQLRow) throws {
        self.init(id: row["id"], contactID: row["contactID"], channel: row["channel"], address: row["address"], payload: row["payload"],
                  status: row["status"], createdAt: row["createdAt"], sentAt: row["sentAt"], attempts: row["attempts"],
                  nextAttemptAt: row["nextAttemptAt"], lastError: row["lastError"], platformMessageID: row["platformMessageID"],
                  unprompted: row["unprompted"], templateRequired: row["templateRequired"], sentAsTemplate: row["sentAsTemplate"],
                  receipt: row["receipt"], receiptAt: row["receiptAt"], claimedBy: row["claimedBy"])
    }
}

extension BookingDetails {
    public init(row: SQLRow) throws {
        self.init(bookingID: row["bookingID"], childID: row["childID"], childFirstName: row["childFirstName"], householdID: row["householdID"],
                  slotID: row["slotID"], teacherID: row["teacherID"], startsAt: row["startsAt"], endsAt: row["endsAt"], place: row["place"],
                  icsToken: row["icsToken"])
    }
}

/// Something to do at a moment: a reminder, a nudge. Pending until it ran (done) or no longer made sense (skipped).
public struct JobRecord: Codable, Sendable, Equatable, StoredRecord {
    public static let tableName = "job"
    public var id: Int64
    public var key: String
    public var kind: String
    public var householdID: Int64?
    public var reference: String
    public var dueAt: Date
    public var expiresAt: Date
    public var status: String
    public var finishedAt: Date?
    public var note: String?
}

extension JobRecord {
    public init(row: SQLRow) throws {
        self.init(id: row["id"], key: row["key"], kind: row["kind"], householdID: row["householdID"], reference: row["reference"],
                  dueAt: row["dueAt"], expiresAt: row["expiresAt"], status: row["status"], finishedAt: row["finishedAt"], note: row["note"])
    }
}

/// A job as planning wants it to be; `Transaction.plan` creates or updates the row with this key.
public struct PlannedJob: Sendable, Equatable {
    public var key: String
    public var kind: String
    public var householdID: Int64?
    public var reference: String
    public var dueAt: Date
    public var expiresAt: Date

    public init(key: String, kind: String, householdID: Int64?, reference: String, dueAt: Date, expiresAt: Date) {
        self.key = key
        self.kind = kind
        self.householdID = householdID
        self.reference = reference
        self.dueAt = dueAt
        self.expiresAt = expiresAt
    }
}

/// An agreement of a child's communicatieplan as stored; `moments` is `AgreedMoments.text`.
public struct AgreementRecord: Codable, Sendable, Equatable, AutoIDRecord {
    public static let tableName = "agreement"
    public var id: Int64?
    public var childID: String
    public var teacherID: String
    public var who: String
    public var what: String
    public var why: String
    public var moments: String
    public var how: String
    public var checkIn: String?
    public var isEvaluation: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var cancelledAt: Date?

    public init(id: Int64? = nil, childID: String, teacherID: String, who: String, what: String, why: String, moments: String, how: String,
                checkIn: String?, isEvaluation: Bool, createdAt: Date, updatedAt: Date, cancelledAt: Date? = nil) {
        self.id = id
        self.childID = childID
        self.teacherID = teacherID
        self.who = who
        self.what = what
        self.why = why
        self.moments = moments
        self.how = how
        self.checkIn = checkIn
        self.isEvaluation = isEvaluation
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.cancelledAt = cancelledAt
    }
}

public struct FollowUpRecord: Codable, Sendable, Equatable, AutoIDRecord {
    public static let tableName = "followUp"
    public var id: Int64?
    public var agreementID: Int64
    /// The school day, "2027-02-08".
    public var day: String
    /// open → done, or moved (to another day, which has its own follow-up).
    public var status: String
    public var finishedAt: Date?
}
