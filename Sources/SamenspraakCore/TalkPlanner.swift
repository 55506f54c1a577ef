import Foundation

/// The fair planning round's planner: every child gets a talk at once, from the households' preferences, instead of
/// first come, first served. Pure and deterministic: the same input gives the same plan, and every child that could not
/// be placed comes with the reason.
///
/// What it weighs, most important first: a talk for every child; siblings back to back (one visit to school); talks in
/// blocks the household called good, then possible; households that fared worse in the previous round first (their
/// good counts for more); "as early / as late as possible". A block a household called not possible is never used.
public enum TalkPlanner {
    /// How a household finds an offered block ("Tue 9 Sept after school").
    public enum Suitability: String, Sendable, Codable, CaseIterable, Comparable {
        case good, possible
        case notPossible = "not_possible"

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
        var rank: Int { switch self { case .good: 0; case .possible: 1; case .notPossible: 2 } }
    }

    public enum TimeWish: String, Sendable, Codable { case none, early, late }

    /// One talk time of one teacher, in one offered block.
    public struct Slot: Sendable, Equatable {
        public var id: Int64
        public var teacherID: String
        public var start: Date
        public var end: Date
        public var block: String
        public init(id: Int64, teacherID: String, start: Date, end: Date, block: String) {
            (self.id, self.teacherID, self.start, self.end, self.block) = (id, teacherID, start, end, block)
        }
    }

    /// A talk to plan: one child with one of its group's teachers, for the households attending it (two for a joint
    /// talk of separated parents).
    public struct Request: Sendable, Equatable {
        public var id: String
        public var childID: String
        public var households: [Int64]
        public var teacherIDs: [String]
        public init(id: String, childID: String, households: [Int64], teacherIDs: [String]) {
            (self.id, self.childID, self.households, self.teacherIDs) = (id, childID, households, teacherIDs)
        }
    }

    /// What a household answered; a household that did not answer gets what is left (every block possible, weighed last).
    public struct Answer: Sendable, Equatable {
        public var blocks: [String: Suitability]
        public var wish: TimeWish
        public init(blocks: [String: Suitability], wish: TimeWish = .none) { (self.blocks, self.wish) = (blocks, wish) }
    }

    public struct Input: Sendable {
        public var slots: [Slot]
        public var requests: [Request]
        public var answers: [Int64: Answer]
        /// Households that fared worse last round get a higher number (0: as usual).
        public var priority: [Int64: Int]
        /// Talks staff fixed by hand (request → slot); they stay, and everything else is planned around them.
        public var pinned: [String: Int64]
        /// Between two siblings' talks with different teachers (another room): at least this, at most `maximumGap`.
        public var walkingBuffer: TimeInterval
        public var maximumGap: TimeInterval
        /// How many steps the exhaustive search may take after the greedy plan: enough to prove small schools optimal,
        /// bounded for large ones. A count, not a time, so the same input gives the same plan on any machine.
        public var searchSteps: Int

        public init(slots: [Slot], requests: [Request], answers: [Int64: Answer], priority: [Int64: Int] = [:], pinned: [String: Int64] = [:],
                    walkingBuffer: TimeInterval = 5 * 60, maximumGap: TimeInterval = BookingRules.backToBackGap, searchSteps: Int = 200_000) {
            (self.slots, self.requests, self.answers, self.priority, self.pinned) = (slots, requests, answers, priority, pinned)
            (self.walkingBuffer, self.maximumGap, self.searchSteps) = (walkingBuffer, maximumGap, searchSteps)
        }
    }

    public enum Unplaced: Sendable, Equatable, CustomStringConvertible {
        /// The child's teachers have no talk times at all.
        case noTimes
        /// Every time of the child's teachers is in a block the household cannot come.
        case noSuitableBlock
        /// The suitable times were all given to other households.
        case suitableTimesTaken(Int)
        /// Staff pinned the talk to a time that does not exist, is another teacher's or was pinned twice.
        case badPin(Int64)

        public var description: String {
            switch self {
            case .noTimes: "the child's teachers have no talk times"
            case .noSuitableBlock: "the household can come in none of the blocks its teachers offer"
            case .suitableTimesTaken(let count): "all \(count) times the household can come were needed for others"
            case .badPin(let slot): "pinned to time \(slot), which is not free for this child's teachers"
            }
        }
    }

    public struct Plan: Sendable, Equatable {
        /// request → slot
        public var talks: [String: Int64]
        /// request → how its households found the block (the least suitable of them); nil for one that never answered
        public var levels: [String: Suitability?]
        public var unplaced: [String: Unplaced]
        /// Households with several talks, and whether the plan puts them back to back.
        public var siblingsTogether: [Int64: Bool]
        public var score: Int
    }

    // MARK: - Scoring

    static let placedWeight = 1_000_000
    static let togetherWeight = 10_000

    /// The worth of giving `request` the slot: nil when a household attending cannot come then.
    static func value(_ request: Request, _ slot: Slot, rankInBlock: (early: Int, late: Int), input: Input) -> Int? {
        var value = placedWeight
        for household in request.households {
            guard let answer = input.answers[household] else { continue }
            let priority = input.priority[household] ?? 0
            switch answer.blocks[slot.block] ?? .possible {
            case .notPossible: return nil
            case .good: value += 100 * (1 + priority)
            case .possible: value += 10 * (1 + priority)
            }
            switch answer.wish {
            case .early: value += max(0, 9 - rankInBlock.early)
            case .late: value += max(0, 9 - rankInBlock.late)
            case .none: break
            }
        }
        return value
    }

    /// The score of a complete assignment (request → slot), as the planner counts it; tests compare it with the optimum.
    public static func score(_ talks: [String: Int64], input: Input) -> Int {
        let context = Context(input)
        return context.units.reduce(0) { total, unit in
            let slots = unit.requests.map { talks[$0.id] }
            return total + context.worth(unit, slots) }
    }

    // MARK: - Planning

    public static func plan(_ input: Input) -> Plan {
        let context = Context(input)
        var search = Search(context: context)
        search.run()
        return search.result()
    }

    /// The requests grouped by family (sharing a household), the slots by id, and each slot's place in its block.
    struct Context {
        struct Unit {
            var index: Int
            var requests: [Request]
            var households: [Int64]
            var priority: Int
            var answered: Bool
        }

        let input: Input
        let slots: [Int64: Slot]
        let units: [Unit]
        let ranks: [Int64: (early: Int, late: Int)]

        init(_ input: Input) {
            self.input = input
            slots = Dictionary(input.slots.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            // Families: requests that share a household, found with a small union-find over households.
            var parent: [Int64: Int64] = [:]
            func root(_ h: Int64) -> Int64 {
                var h = h
                while let p = parent[h], p != h { h = p }
                return h
            }
            for request in input.requests {
                for household in request.households where parent[household] == nil { parent[household] = household }
                for other in request.households.dropFirst() {
                    let (a, b) = (root(request.households[0]), root(other))
                    if a != b { parent[max(a, b)] = min(a, b) }
                }
            }
            var grouped: [Int64: [Request]] = [:]
            for request in input.requests.sorted(by: { $0.id < $1.id }) { grouped[root(request.households.first ?? -1), default: []].append(request) }
            units = grouped.keys.sorted().enumerated().map { index, key in
                let requests = grouped[key]!
                let households = Array(Set(requests.flatMap(\.households))).sorted()
                return Unit(index: index, requests: requests, households: households,
                            priority: households.map { input.priority[$0] ?? 0 }.max() ?? 0,
                            answered: households.contains { input.answers[$0] != nil })
            }
            var ranks: [Int64: (early: Int, late: Int)] = [:]
            for (_, inBlock) in Dictionary(grouping: input.slots, by: { "\($0.teacherID)|\($0.block)" }) {
                let sorted = inBlock.sorted { ($0.start, $0.id) < ($1.start, $1.id) }
                for (rank, slot) in sorted.enumerated() { ranks[slot.id] = (rank, sorted.count - 1 - rank) }
            }
            self.ranks = ranks
        }

        func value(_ request: Request, _ slotID: Int64) -> Int? {
            guard let slot = slots[slotID], request.teacherIDs.contains(slot.teacherID) else { return nil }
            let value = TalkPlanner.value(request, slot, rankInBlock: ranks[slotID] ?? (0, 0), input: input)
            // Staff's pin overrides the household's "not possible" (they agreed it by phone, say).
            return input.pinned[request.id] == slotID ? value ?? TalkPlanner.placedWeight : value
        }

        /// Whether a family's talks form one visit: in time order, each next one starts right after the previous
        /// (with the walking buffer when the room changes), within the longest gap.
        func together(_ slotIDs: [Int64]) -> Bool {
            let talks = slotIDs.compactMap { slots[$0] }.sorted { $0.start < $1.start }
            guard talks.count == slotIDs.count else { return false }
            for (a, b) in zip(talks, talks.dropFirst()) {
                let gap = b.start.timeIntervalSince(a.end)
                let minimum = a.teacherID == b.teacherID ? 0 : input.walkingBuffer
                if gap < minimum || gap > input.maximumGap { return false }
            }
            return true
        }

        /// The worth of a family's talks (nil entries: not placed); a slot the family cannot use counts as nothing.
        func worth(_ unit: Unit, _ slotIDs: [Int64?]) -> Int {
            var total = 0
            var placed: [Int64] = []
            for (request, slotID) in zip(unit.requests, slotIDs) {
                guard let slotID, let value = value(request, slotID) else { continue }
                total += value
                placed.append(slotID)
            }
            if unit.requests.count > 1, placed.count == unit.requests.count, together(placed) { total += TalkPlanner.togetherWeight }
            return total
        }
    }

    /// One family's choice: a slot per request (nil: not placed) and what it is worth.
    struct Option {
        var slots: [Int64?]
        var worth: Int
    }

    /// Greedy in fairness order, then improvement by moving one family into another's place and re-placing that one.
    struct Search {
        let context: Context
        /// Per family, its possible choices, best first (at most `optionLimit`).
        var options: [[Option]] = []
        var chosen: [Option] = []
        var owner: [Int64: Int] = [:]   // slot → family
        static let optionLimit = 400

        init(context: Context) {
            self.context = context
            options = context.units.map { options(for: $0) }
            chosen = context.units.map { Option(slots: Array(repeating: nil, count: $0.requests.count), worth: 0) }
        }

        /// The family's choices: pinned talks fixed, the other children each on a slot of their teachers in a block the
        /// household can come; for families with several children, combinations back to back first, then apart.
        func options(for unit: Context.Unit) -> [Option] {
            let input = context.input
            let perRequest: [[Int64?]] = unit.requests.map { request in
                if let pin = input.pinned[request.id] { return context.value(request, pin) != nil ? [pin] : [nil] }
                let pinned = Set(input.pinned.values)
                let suitable = input.slots.compactMap { slot in
                    context.value(request, slot.id).flatMap { pinned.contains(slot.id) ? nil : (slot, $0) }
                }
                // Best first; among equals the earlier time, then the lower id (deterministic).
                return suitable.sorted { ($1.1, $0.0.start, $0.0.id) < ($0.1, $1.0.start, $1.0.id) }.map { $0.0.id } + [nil]
            }
            var result: [Option] = []
            if unit.requests.count == 1 {
                result = perRequest[0].map { Option(slots: [$0], worth: context.worth(unit, [$0])) }
            } else {
                // Back to back: anchored on each slot of the first child, the others right before or after.
                var seen = Set<[Int64?]>()
                func add(_ slots: [Int64?]) {
                    let placed = slots.compactMap { $0 }
                    guard Set(placed).count == placed.count, seen.insert(slots).inserted else { return }
                    result.append(Option(slots: slots, worth: context.worth(unit, slots)))
                }
                func extend(_ index: Int, _ partial: [Int64?]) {
                    if index == perRequest.count { add(partial); return }
                    let placed = partial.compactMap { $0 }
                    for candidate in perRequest[index] where candidate != nil {
                        if context.together(placed + [candidate!]) { extend(index + 1, partial + [candidate]) }
                    }
                }
                for first in perRequest[0] where first != nil { extend(1, [first]) }
                // Apart: each child's best few on their own (so a family is never left out just because no visit fits).
                let apart = perRequest.map { Array($0.prefix(6)) + ($0.last == nil ? [nil] : []) }
                func combine(_ index: Int, _ partial: [Int64?]) {
                    if index == apart.count { add(partial); return }
                    for candidate in apart[index] { combine(index + 1, partial + [candidate]) }
                }
                combine(0, [])
            }
            // Best first; among equals by slot ids (deterministic). The pinned talks alone always stay a choice.
            let key = { (option: Option) in option.slots.map { $0 ?? Int64.max } }
            var best = Array(result.sorted { $0.worth != $1.worth ? $0.worth > $1.worth : key($0).lexicographicallyPrecedes(key($1)) }
                .prefix(Self.optionLimit))
            let fallback = perRequest.map { $0.count == 1 ? $0[0] : nil }
            if !best.contains(where: { $0.slots == fallback }) { best.append(Option(slots: fallback, worth: context.worth(unit, fallback))) }
            return best
        }

        func conflicts(_ option: Option, except family: Int) -> Set<Int> {
            Set(option.slots.compactMap { $0 }.compactMap { owner[$0] }.filter { $0 != family })
        }

        mutating func assign(_ family: Int, _ option: Option) {
            for slot in chosen[family].slots.compactMap({ $0 }) where owner[slot] == family { owner[slot] = nil }
            chosen[family] = option
            for slot in option.slots.compactMap({ $0 }) { owner[slot] = family }
        }

        /// The best choice of `family` that uses no slot of another family.
        func bestFree(_ family: Int) -> Option? {
            options[family].first { option in option.slots.compactMap { $0 }.allSatisfy { owner[$0] == nil || owner[$0] == family } }
        }

        mutating func run() {
            let units = context.units
            // Fairness first (worse off last round), then those who answered, then families with several children (one
            // visit is hardest to fit), then the families with fewest choices.
            let order = units.indices.sorted { a, b in
                let (ua, ub) = (units[a], units[b])
                return (-ua.priority, ua.answered ? 0 : 1, -ua.requests.count, options[a].count, ua.index)
                    < (-ub.priority, ub.answered ? 0 : 1, -ub.requests.count, options[b].count, ub.index)
            }
            for family in order {
                if let option = bestFree(family) { assign(family, option) }
            }
            // Improve: a family takes a better choice held by up to three other families, which move to their best
            // remaining choices, whenever that gains in total. Bounded passes; each move strictly gains.
            for _ in 0..<50 {
                var improved = false
                for family in order where tryImprove(family) { improved = true }
                if !improved { break }
            }
            // Then an exhaustive search, bounded by the plan found so far: on a small school it proves that plan best or
            // finds the best; on a large one it stops after `searchSteps` and keeps the best found.
            if let better = bestAssignment(order: order, beating: chosen.reduce(0) { $0 + $1.worth }, budget: context.input.searchSteps) {
                for family in order { unassign(family) }
                for (family, option) in better { assign(family, option) }
            }
        }

        /// Branch and bound over every family's choices (families in `order`): the assignment worth more than `floor`,
        /// or nil when none is found within `budget` steps.
        ///
        /// The bound: each remaining family at most the best value of each of its children plus "together"; minus, per
        /// group of teachers sharing children, one child's least value for every child more than that group has free times.
        func bestAssignment(order: [Int], beating floor: Int, budget: Int) -> [Int: Option]? {
            let units = order.map { context.units[$0] }
            let choices = order.map { family in options[family].sorted { $0.worth > $1.worth } }
            // Per request, the best value any of its family's choices gives it (0: it can never be placed).
            let bestValue: [[Int]] = units.indices.map { index in
                units[index].requests.indices.map { r in
                    choices[index].compactMap { $0.slots[r].flatMap { context.value(units[index].requests[r], $0) } }.max() ?? 0
                }
            }
            // Teachers linked by a child they share (duo groups) form one pool of times.
            var pool: [String: Int] = [:]
            var pools = 0
            for request in units.flatMap(\.requests) {
                let joined = Set(request.teacherIDs.compactMap { pool[$0] })
                let known = joined.min() ?? { pools += 1; return pools - 1 }()
                for (teacher, p) in pool where joined.contains(p) { pool[teacher] = known }
                for teacher in request.teacherIDs { pool[teacher] = known }
            }
            var free = Array(repeating: 0, count: pools)
            var slotPool: [Int64: Int] = [:]
            for slot in context.input.slots { if let p = pool[slot.teacherID] { free[p] += 1; slotPool[slot.id] = p } }
            // demand[i][p]: children of families i... that could be placed in pool p.
            var demand = Array(repeating: Array(repeating: 0, count: pools), count: units.count + 1)
            var ceiling = Array(repeating: 0, count: units.count + 1)
            for index in units.indices.reversed() {
                demand[index] = demand[index + 1]
                var most = 0
                for (r, request) in units[index].requests.enumerated() where bestValue[index][r] > 0 {
                    if let p = request.teacherIDs.first.flatMap({ pool[$0] }) { demand[index][p] += 1 }
                    most += bestValue[index][r]
                }
                if units[index].requests.count > 1 { most += TalkPlanner.togetherWeight }
                ceiling[index] = ceiling[index + 1] + max(most, choices[index].first?.worth ?? 0)
            }
            func bound(_ index: Int) -> Int {
                var short = 0
                for p in 0..<pools where demand[index][p] > free[p] { short += demand[index][p] - free[p] }
                return ceiling[index] - short * TalkPlanner.placedWeight
            }
            guard bound(0) > floor else { return nil }
            var best = floor
            var bestPicks: [Int]?
            var picks = Array(repeating: 0, count: units.count)
            var used = Set<Int64>()
            var steps = 0
            func search(_ index: Int, _ total: Int) {
                if index == units.count {
                    if total > best { (best, bestPicks) = (total, picks) }
                    return
                }
                for (pick, choice) in choices[index].enumerated() {
                    steps += 1
                    // Sorted best first: once this choice cannot beat the best plan, no later one can.
                    guard steps < budget, total + choice.worth + ceiling[index + 1] > best else { return }
                    let placed = choice.slots.compactMap { $0 }
                    guard placed.allSatisfy({ !used.contains($0) }) else { continue }
                    for slot in placed { used.insert(slot); if let p = slotPool[slot] { free[p] -= 1 } }
                    if total + choice.worth + bound(index + 1) > best {
                        picks[index] = pick
                        search(index + 1, total + choice.worth)
                    }
                    for slot in placed { used.remove(slot); if let p = slotPool[slot] { free[p] += 1 } }
                }
            }
            search(0, 0)
            guard let bestPicks else { return nil }
            return Dictionary(uniqueKeysWithValues: order.indices.map { (order[$0], choices[$0][bestPicks[$0]]) })
        }

        /// Moves `family` to its best choice that gains after the families in the way are re-placed; false if none does.
        mutating func tryImprove(_ family: Int) -> Bool {
            for option in options[family] where option.worth > chosen[family].worth {
                let others = conflicts(option, except: family).sorted()
                guard others.count <= 3 else { continue }
                let before = chosen
                let worthBefore = others.reduce(chosen[family].worth) { $0 + chosen[$1].worth }
                for other in others { unassign(other) }
                assign(family, option)
                var moved = Set([family] + others)
                var worthAfter = option.worth
                for other in others {
                    worthAfter += replace(other, moved: &moved)
                }
                if worthAfter > worthBefore { return true }
                // No gain: put everything back as it was.
                for changed in moved { unassign(changed) }
                for changed in moved { assign(changed, before[changed]) }
            }
            return false
        }

        mutating func unassign(_ family: Int) {
            assign(family, Option(slots: Array(repeating: nil, count: context.units[family].requests.count), worth: 0))
        }

        /// Re-places a family that had to make room: its best free choice, or a better one that pushes one more family
        /// (not one already moved) to that family's best free choice. Returns the worth gained: the family's new worth,
        /// plus what the pushed family gained or lost.
        mutating func replace(_ family: Int, moved: inout Set<Int>) -> Int {
            let free = bestFree(family)
            var best = (worth: free?.worth ?? 0, option: free, pushed: nil as (family: Int, option: Option?)?)
            for option in options[family].prefix(Self.pushLimit) where option.worth > best.worth {
                let others = conflicts(option, except: family)
                guard others.count == 1, let third = others.first, !moved.contains(third) else { continue }
                let held = chosen[third]
                unassign(third)
                assign(family, option)
                let next = bestFree(third)
                unassign(family)
                assign(third, held)
                let total = option.worth + (next?.worth ?? 0) - held.worth
                if total > best.worth { best = (total, option, (third, next)) }
            }
            if let pushed = best.pushed {
                moved.insert(pushed.family)
                unassign(pushed.family)
                if let option = best.option { assign(family, option) }
                if let next = pushed.option { assign(pushed.family, next) }
            } else if let option = best.option {
                assign(family, option)
            }
            return best.worth
        }

        static let pushLimit = 20

        func result() -> Plan {
            var talks: [String: Int64] = [:]
            var levels: [String: Suitability?] = [:]
            var unplaced: [String: Unplaced] = [:]
            var together: [Int64: Bool] = [:]
            let input = context.input
            for unit in context.units {
                let option = chosen[unit.index]
                for (request, slotID) in zip(unit.requests, option.slots) {
                    if let slotID, let slot = context.slots[slotID] {
                        talks[request.id] = slotID
                        let answered = request.households.compactMap { input.answers[$0]?.blocks[slot.block] ?? (input.answers[$0] != nil ? .possible : nil) }
                        levels[request.id] = answered.max()
                    } else {
                        unplaced[request.id] = reason(request)
                    }
                }
                if unit.requests.count > 1 {
                    let placed = option.slots.compactMap { $0 }
                    for household in unit.households { together[household] = placed.count == unit.requests.count && context.together(placed) }
                }
            }
            return Plan(talks: talks, levels: levels, unplaced: unplaced, siblingsTogether: together, score: TalkPlanner.score(talks, input: input))
        }

        func reason(_ request: Request) -> Unplaced {
            let input = context.input
            if let pin = input.pinned[request.id] { return .badPin(pin) }
            let own = input.slots.filter { request.teacherIDs.contains($0.teacherID) }
            guard !own.isEmpty else { return .noTimes }
            let suitable = own.filter { context.value(request, $0.id) != nil }
            return suitable.isEmpty ? .noSuitableBlock : .suitableTimesTaken(suitable.count)
        }
    }
}
