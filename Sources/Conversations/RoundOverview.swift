import Foundation
import SamenspraakCore
import Storage

/// A preference round as staff look at it (the staff pages and `samenspraak plan show`): how many households answered,
/// and the stored proposal per group, each talk with its child and time.
public struct RoundOverview: Sendable {
    public struct Talk: Sendable {
        public var planned: PlannedTalkRecord
        public var child: ChildRecord
        public var slot: SlotRecord?
    }

    public struct Totals: Sendable, Equatable {
        public var talks = 0
        public var good = 0
        public var possible = 0
        /// Placed for households that gave no answers.
        public var unanswered = 0
        public var unplaced = 0
        public var pinned = 0
    }

    public var round: PlanningRoundRecord?
    public var households: Int
    public var answered: Int
    /// Per group id, in time order; talks without a time last.
    public var groups: [String: [Talk]]

    public var totals: Totals {
        groups.values.joined().reduce(into: Totals()) { totals, talk in
            totals.talks += 1
            if talk.planned.pinned { totals.pinned += 1 }
            switch (talk.planned.slotID, talk.planned.level) {
            case (nil, _): totals.unplaced += 1
            case (_, "good"?): totals.good += 1
            case (_, "possible"?): totals.possible += 1
            default: totals.unanswered += 1
            }
        }
    }

    /// The talk with this scope, if the proposal has it.
    public func talk(scope: String) -> Talk? { groups.values.joined().first { $0.planned.scope == scope } }
}

extension ConversationService {
    public func roundOverview() async throws -> RoundOverview {
        try await database.read { [school] tx in
            let id = PlanningRound.id(school)
            var groups: [String: [RoundOverview.Talk]] = [:]
            for planned in try tx.plannedTalks(round: id) {
                guard let child = try tx.child(id: planned.childID) else { continue }
                groups[child.groupID, default: []].append(.init(planned: planned, child: child, slot: try planned.slotID.flatMap(tx.slot(id:))))
            }
            for group in groups.keys {
                groups[group]?.sort { ($0.slot?.startsAt ?? .distantFuture, $0.planned.scope) < ($1.slot?.startsAt ?? .distantFuture, $1.planned.scope) }
            }
            return RoundOverview(round: try tx.planningRound(id: id), households: try tx.households().count,
                                 answered: try tx.householdsThatAnswered().count, groups: groups)
        }
    }
}
