import Foundation
import SamenspraakCore
import Storage

/// What the staff pages show, read in one transaction each: a group's children and their talks, a talk with the
/// parents' preparation, a teacher's day, the agreements and what is overdue, the buddy requests.
public struct ChildTalk: Sendable {
    public var child: ChildRecord
    /// The roster keys of the child's households (the office looks a family up by it).
    public var households: [String]
    public var talk: BookingDetails?
    public var answered: Bool
}

/// A talk with what each attending household answered beforehand (question → answer).
public struct TalkPreparation: Sendable {
    public var talk: BookingDetails
    public var groupID: String
    public var answers: [[String: String]]
}

public struct AgreementSummary: Sendable {
    public var agreement: AgreementRecord
    public var childName: String
    public var groupID: String
    /// Per household that answered: did the written agreement match what was agreed, and what differs.
    public var responses: [(matches: Bool, comment: String?)]
}

public struct OverdueFollowUp: Sendable {
    public var followUp: FollowUpRecord
    public var agreement: AgreementRecord
    public var childName: String
    public var groupID: String
}

public struct BuddyRequest: Sendable {
    public var household: String
    public var interest: String
    public var languages: [String]
    public var groups: [String]
}

/// What the care coordinator sees of the buddies: open requests (and why nobody fits), pairs, and the volunteers.
public struct BuddyOverview: Sendable {
    public struct Need: Sendable {
        public var household: String
        public var groups: [String]
        public var languages: [String]
        public var situation: String
        /// "parent", "teacher:<id>" or "staff:<user>".
        public var source: String
        public var since: Date
        /// waiting for the parent to accept a flagged need, asking a buddy now, or searching.
        public var status: String
        /// Why nobody could be proposed ("no_volunteers", "no_shared_language:ar,nl", "full", "declined").
        public var unmatched: String?
    }
    public struct Pair: Sendable {
        public var parent: String
        public var buddy: String
        public var language: String
        public var state: String
        public var since: Date
        public var checkIns: [String]
    }
    public struct Volunteer: Sendable {
        public var household: String
        public var languages: [String]
        public var situations: [String]
        public var capacity: Int
        public var active: Int
        public var paused: Bool
    }
    public var needs: [Need]
    public var pairs: [Pair]
    public var volunteers: [Volunteer]
}

extension ConversationService {
    public func groupTalks(_ groupID: String) async throws -> [ChildTalk] {
        try await database.read { tx in
            try tx.children(group: groupID).map { child in
                let households = try tx.households(ofChild: child.id)
                let answered = try households.contains { !(try tx.answers(childID: child.id, householdID: $0).isEmpty) }
                return ChildTalk(child: child, households: try households.compactMap { try tx.household(id: $0)?.key },
                                 talk: try tx.activeBookings(child: child.id).first, answered: answered)
            }
        }
    }

    /// The planned talk `bookingID` with its preparation; nil when it is not (or no longer) planned.
    public func talkPreparation(_ bookingID: Int64) async throws -> TalkPreparation? {
        try await database.read { tx in
            guard let talk = try tx.activeBooking(id: bookingID) else { return nil }
            return try Self.preparation(of: talk, tx: tx)
        }
    }

    /// A teacher's talks on the school day of `day`, in time order, each with its preparation.
    public func dayTalks(teacher: String, day: Date) async throws -> [TalkPreparation] {
        try await database.read { [school, localizer] tx in
            try TeacherAgenda(school: school, localizer: localizer).talks(teacher: teacher, day: day, tx: tx).map { try Self.preparation(of: $0, tx: tx) }
        }
    }

    static func preparation(of talk: BookingDetails, tx: Transaction) throws -> TalkPreparation {
        TalkPreparation(talk: talk, groupID: try tx.child(id: talk.childID)?.groupID ?? "",
                        answers: try tx.attendees(booking: talk.bookingID).map { try tx.answers(childID: talk.childID, householdID: $0) }.filter { !$0.isEmpty })
    }

    /// The agreements in force and the follow-ups that are overdue (open and agreed for before today).
    public func agreementOverview() async throws -> (agreements: [AgreementSummary], overdue: [OverdueFollowUp]) {
        let today = SchoolDay(clock.now(), in: school.calendar).description
        return try await database.read { tx in
            func child(_ id: String) throws -> (name: String, group: String) {
                let record = try tx.child(id: id)
                return (record?.firstName ?? "–", record?.groupID ?? "")
            }
            let agreements = try tx.activeAgreements().map { agreement in
                let (name, group) = try child(agreement.childID)
                return AgreementSummary(agreement: agreement, childName: name, groupID: group,
                                        responses: Array(try tx.responses(agreementID: agreement.id ?? 0).values))
            }
            let overdue = try tx.overdueFollowUps(before: today).map { item in
                let (name, group) = try child(item.agreement.childID)
                return OverdueFollowUp(followUp: item.followUp, agreement: item.agreement, childName: name, groupID: group)
            }
            return (agreements, overdue)
        }
    }

    /// The agreed moments as the parents read them ("de week na Rapport 1"), in `language`.
    public func agreedMoments(_ written: String, language: String) -> String {
        AgreementText(school: school).when(written, localizer: localizer, language: language)
    }

    /// Parents who said they look for a buddy or want to be one, with the languages their chats use and their groups.
    public func buddyRequests() async throws -> [BuddyRequest] {
        try await database.read { tx in
            try tx.buddyInterests().map { interest in
                let children = try tx.children(household: interest.householdID)
                return BuddyRequest(household: try tx.household(id: interest.householdID)?.key ?? "–", interest: interest.interest,
                                    languages: Array(Set(try tx.contacts(household: interest.householdID).compactMap(\.language))).sorted(),
                                    groups: Array(Set(children.map(\.groupID))).sorted())
            }
        }
    }

    public func buddyOverview() async throws -> BuddyOverview {
        try await database.read { [self] tx in
            let matchmaker = BuddyMatchmaker(tx: tx, school: school, localizer: localizer, now: clock.now())
            let key = { (id: Int64) in try tx.household(id: id)?.key ?? "–" }
            let introductions = try tx.buddyIntroductions()
            let needs = try tx.buddyNeeds().filter { $0.closedAt == nil }.map { need in
                BuddyOverview.Need(household: try key(need.householdID), groups: try matchmaker.groups(of: need.householdID),
                                   languages: try matchmaker.languages(of: need.householdID), situation: need.situation, source: need.source,
                                   since: need.createdAt,
                                   status: need.acceptedAt == nil ? "to_accept"
                                       : introductions.contains { $0.needID == need.id && $0.state == "asking" } ? "asking" : "searching",
                                   unmatched: need.unmatched)
            }
            let pairs = try introductions.filter { ["asking", "paired"].contains($0.state) }.map { introduction in
                BuddyOverview.Pair(parent: try key(introduction.parentID), buddy: try key(introduction.buddyID), language: introduction.language,
                                   state: introduction.state, since: introduction.decisionState.pairedAt ?? introduction.askedAt,
                                   checkIns: [introduction.parentCheckIn, introduction.buddyCheckIn].compactMap { $0 })
            }
            let counts = try tx.activeBuddyCounts()
            let volunteers = try tx.buddyVolunteers().map { volunteer in
                BuddyOverview.Volunteer(household: try key(volunteer.householdID), languages: volunteer.languages, situations: volunteer.situations,
                                        capacity: volunteer.capacity, active: counts[volunteer.householdID] ?? 0, paused: volunteer.pausedAt != nil)
            }
            return BuddyOverview(needs: needs, pairs: pairs, volunteers: volunteers)
        }
    }
}
