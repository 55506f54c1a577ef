import Foundation
import SamenspraakCore
import Storage

/// The fair planning round after the households gave their preferences: staff (or the daemon, when the round closes)
/// make a proposal with `TalkPlanner`, may pin talks by hand and plan again around them, then publish it: every talk is
/// booked and every household told its time in its own language, once.
public enum PlanningRound {
    /// A round is known by the day it opened ("2026-08-24"), so the next school year's round is another one.
    public static func id(_ school: School) -> String { SchoolDay(school.booking.opens, in: school.calendar).description }

    /// What a household's result this round means for the next: the worse it fared, the earlier it comes then.
    static let priorityAfter: [String: Int] = ["good": 0, "unanswered": 0, "possible": 1, "unplaced": 2]

    /// The planner's input from the database: the free talk times, a talk per child (or per child and household when
    /// separated parents come apart), the answers, last round's outcomes and the talks staff pinned.
    static func input(school: School, tx: Transaction, now: Date) throws -> TalkPlanner.Input {
        let round = id(school)
        let slots = try tx.freeSlots(teacherIDs: school.teachers.map(\.id), from: now + BookingRules.minimumNotice).compactMap { slot in
            slot.id.map { TalkPlanner.Slot(id: $0, teacherID: slot.teacherID, start: slot.startsAt, end: slot.endsAt,
                                           block: school.preferenceBlockID(start: slot.startsAt, kind: BlockKind(rawValue: slot.kind) ?? .afterSchool)) }
        }
        var requests: [TalkPlanner.Request] = []
        for group in school.groups {
            let teachers = group.teacherIDs
            for child in try tx.children(group: group.id) where try tx.activeBookings(child: child.id).isEmpty {
                let households = try tx.households(ofChild: child.id)
                guard !households.isEmpty else { continue }
                // One joint talk for every household of the child, or one per household; the request's id is the booking's scope.
                let attending = school.booking.separatedHouseholds == .jointTalk ? [households] : households.map { [$0] }
                requests += attending.map {
                    .init(id: SchoolHost.scope(child: child.id, household: $0[0], school: school), childID: child.id, households: $0, teacherIDs: teachers)
                }
            }
        }
        let answers = try tx.preferences().mapValues { stored in
            TalkPlanner.Answer(blocks: stored.blocks.compactMapValues(TalkPlanner.Suitability.init(rawValue:)),
                               wish: TalkPlanner.TimeWish(rawValue: stored.wish) ?? .none)
        }
        let pinned = try tx.plannedTalks(round: round).filter(\.pinned).reduce(into: [String: Int64]()) { pins, talk in
            if let slot = talk.slotID { pins[talk.scope] = slot }
        }
        let buffer = TimeInterval(max(school.booking.bufferMinutes, 5) * 60)
        return TalkPlanner.Input(slots: slots, requests: requests, answers: answers,
                                 priority: try tx.previousOutcomes(before: round).compactMapValues { priorityAfter[$0] },
                                 pinned: pinned, walkingBuffer: buffer)
    }

    /// Plans the round and stores the proposal (pinned talks kept); nil when it was published already.
    static func propose(school: School, tx: Transaction, now: Date) throws -> [PlannedTalkRecord]? {
        let input = try input(school: school, tx: tx, now: now)
        let plan = TalkPlanner.plan(input)
        let talks = input.requests.map { request in
            let level = plan.levels[request.id].flatMap { $0 }
            return PlannedTalkRecord(roundID: id(school), scope: request.id, childID: request.childID, householdID: request.households[0],
                                     slotID: plan.talks[request.id], level: level.map(\.rawValue),
                                     reason: plan.unplaced[request.id]?.description, pinned: input.pinned[request.id] != nil)
        }
        return try tx.saveProposal(round: id(school), talks: talks, at: now) ? talks : nil
    }
}

/// What staff asked of the round and why it could not be done.
public enum RoundProblem: Error, Equatable, CustomStringConvertible {
    case notAPreferenceRound
    case stillOpen(Date)
    case notPlanned
    case published
    case unknownTalk(String)
    case notThisChildsTeacher

    public var description: String {
        switch self {
        case .notAPreferenceRound: "the school file's booking round is first come, first served ('booking.round: first-come')"
        case .stillOpen(let closes): "the round is still open until \(closes); households can still change their answers"
        case .notPlanned: "there is no proposal yet: run 'samenspraak plan' first"
        case .published: "this round was published already; talks are now moved and cancelled one by one"
        case .unknownTalk(let child): "there is no talk for '\(child)' in the proposal"
        case .notThisChildsTeacher: "that time is not a free time of one of the child's group's teachers"
        }
    }
}

extension ConversationService {
    /// Makes (or remakes, around the pinned talks) the round's proposal. Staff may plan before the round closes only with
    /// `early` (to look at it); the daemon plans when it closes.
    public func proposeRound(by staff: String, early: Bool = false) async throws -> Result<[PlannedTalkRecord], RoundProblem> {
        let now = clock.now()
        guard school.booking.round == .preferenceRound else { return .failure(.notAPreferenceRound) }
        guard early || now >= school.booking.closes else { return .failure(.stillOpen(school.booking.closes)) }
        return try await committer.perform { [school] tx in
            guard let talks = try PlanningRound.propose(school: school, tx: tx, now: now) else { return .failure(.published) }
            try tx.audit(actor: staff, action: "plan round", subject: PlanningRound.id(school), at: now)
            return .success(talks)
        }
    }

    /// The scheduled job when the round closes: the proposal staff find waiting. One staff made after the round closed
    /// (the daemon was down at the time) is theirs and stays.
    func planRound(now: Date, tx: Transaction) throws -> JobOutcome {
        guard school.booking.round == .preferenceRound else { return .skipped("the school file's booking round is first come, first served") }
        if let existing = try tx.planningRound(id: PlanningRound.id(school)) {
            guard existing.publishedAt == nil else { return .skipped("published already") }
            guard existing.plannedAt < school.booking.closes else { return .skipped("staff planned the round already") }
        }
        guard let talks = try PlanningRound.propose(school: school, tx: tx, now: now) else { return .skipped("published already") }
        try tx.audit(actor: "samenspraak", action: "plan round", subject: PlanningRound.id(school), at: now)
        let unplaced = talks.filter { $0.slotID == nil }.count
        logger.info("the preference round closed and was planned", metadata: ["talks": "\(talks.count - unplaced)", "without a time": "\(unplaced)"])
        return .done("planned: \(talks.count - unplaced) talks, \(unplaced) without a time")
    }

    /// The stored proposal, if any.
    public func roundProposal() async throws -> (round: PlanningRoundRecord, talks: [PlannedTalkRecord])? {
        try await database.read { [school] tx in
            let id = PlanningRound.id(school)
            return try tx.planningRound(id: id).map { ($0, try tx.plannedTalks(round: id)) }
        }
    }

    /// Pins talks (a talk's scope, or a child id when it has one talk, to a slot) and plans the rest again around them:
    /// one pin moves a talk, two pins to each other's times swap them.
    public func pinTalks(_ pins: [(talk: String, slot: Int64)], by staff: String) async throws -> Result<[PlannedTalkRecord], RoundProblem> {
        let now = clock.now()
        guard school.booking.round == .preferenceRound else { return .failure(.notAPreferenceRound) }
        return try await committer.perform { [school] tx in
            let round = PlanningRound.id(school)
            guard let record = try tx.planningRound(id: round) else { return .failure(.notPlanned) }
            guard record.publishedAt == nil else { return .failure(.published) }
            var talks = try tx.plannedTalks(round: round)
            var pinned: [Int] = []
            for pin in pins {
                guard let index = talks.firstIndex(where: { $0.scope == pin.talk || $0.childID == pin.talk }) else { return .failure(.unknownTalk(pin.talk)) }
                guard let slot = try tx.slot(id: pin.slot), slot.active,
                      let group = try tx.child(id: talks[index].childID).flatMap({ school.group($0.groupID) }),
                      group.teacherIDs.contains(slot.teacherID) else { return .failure(.notThisChildsTeacher) }
                // Whoever held that time gives it up (unless pinned in this same request); the planner places them again.
                for other in talks.indices where talks[other].slotID == pin.slot && other != index && !pinned.contains(other) {
                    (talks[other].slotID, talks[other].pinned, talks[other].reason) = (nil, false, "waiting to be planned again")
                }
                (talks[index].slotID, talks[index].pinned, talks[index].reason) = (pin.slot, true, nil)
                pinned.append(index)
            }
            _ = try tx.saveProposal(round: round, talks: talks, at: now)
            guard let replanned = try PlanningRound.propose(school: school, tx: tx, now: now) else { return .failure(.published) }
            try tx.audit(actor: staff, action: "pin talk", subject: pinned.map { "\(talks[$0].scope) → slot \(talks[$0].slotID ?? 0)" }.joined(separator: ", "), at: now)
            return .success(replanned)
        }
    }
}

/// What publishing did.
public struct PublishReport: Sendable, Equatable {
    public var booked = 0
    public var unplaced = 0
    public var householdsTold = 0
}

extension ConversationService {
    /// Books every talk of the proposal and tells each household its time (or that the school will call), in its own
    /// language, in one transaction. Publishing twice books and sends nothing the second time.
    public func publishRound(by staff: String) async throws -> Result<PublishReport, RoundProblem> {
        let now = clock.now()
        guard school.booking.round == .preferenceRound else { return .failure(.notAPreferenceRound) }
        guard now >= school.booking.closes else { return .failure(.stillOpen(school.booking.closes)) }
        let (result, recipients) = try await committer.perform { [self] tx -> (Result<PublishReport, RoundProblem>, [Recipient]) in
            let round = PlanningRound.id(school)
            guard try tx.planningRound(id: round) != nil else { return (.failure(.notPlanned), []) }
            guard try tx.markPublished(round: round, at: now) else { return (.failure(.published), []) }
            let answered = try tx.householdsThatAnswered()
            var report = PublishReport()
            var notices: [Notice] = []
            var outcomes: [Int64: String] = [:]
            func fared(_ household: Int64, _ outcome: String) {
                let order = ["good", "unanswered", "possible", "unplaced"]
                if let known = outcomes[household], order.firstIndex(of: known)! >= order.firstIndex(of: outcome)! { return }
                outcomes[household] = outcome
            }
            for talk in try tx.plannedTalks(round: round) {
                let households = school.booking.separatedHouseholds == .jointTalk ? try tx.households(ofChild: talk.childID) : [talk.householdID]
                // A time taken since the proposal (or a child booked meanwhile) leaves the talk without one; a database
                // error is not that, and ends the transaction.
                let booked = try talk.slotID.map { try tx.book(slotID: $0, childID: talk.childID, householdID: talk.householdID,
                                                              scope: talk.scope, icsToken: SchoolHost.newToken(), at: now) }
                guard case .booked(let booking)? = booked, let details = try tx.booking(id: booking.id ?? 0) else {
                    report.unplaced += 1
                    let name = try tx.child(id: talk.childID)?.firstName ?? ""
                    for household in households {
                        notices.append(Notice(recipient: .household(household), key: "plan.unplaced", values: ["child": .text(name)]))
                        fared(household, "unplaced")
                    }
                    continue
                }
                report.booked += 1
                var values = SchoolHost.values(of: details, school: school)
                values["ics_url"] = .text("\(publicURL)/ics/\(details.icsToken).ics")
                values["until"] = .day(school.booking.changesUntil ?? school.booking.closes)
                for household in households {
                    if household != talk.householdID { try tx.attend(bookingID: details.bookingID, householdID: household) }
                    let told = answered.contains(household)
                    notices.append(Notice(recipient: .household(household), key: told ? "plan.published" : "plan.published_unanswered", values: values))
                    fared(household, told ? (talk.level ?? "possible") : "unanswered")
                }
            }
            for household in outcomes.keys.sorted() {
                _ = try Reminders.replan(household: household, school: school, tx: tx, now: now, reachabilityChanged: false)
            }
            try tx.saveOutcomes(round: round, outcomes)
            report.householdsTold = outcomes.count
            try tx.audit(actor: staff, action: "publish round", subject: "\(round): \(report.booked) talks, \(report.unplaced) without a time", at: now)
            return (.success(report), try deliver(notices, unprompted: true, tx: tx, now: now))
        }
        await wakeups.signal(recipients: recipients)
        await wakeups.signal(Wakeups.jobsKey)
        return result
    }
}
