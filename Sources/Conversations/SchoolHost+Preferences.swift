import Dialogue
import Foundation
import SamenspraakCore
import Storage

/// A preference round by chat: the household rates, one by one, the blocks its children's teachers offer (good,
/// possible, not possible), then says whether it would like to come as early or as late as possible. Each answer is
/// stored at once, so a parent who stops halfway keeps what they said; the flow can be run again until the round closes.
extension SchoolHost {
    static let preferenceActions: [String: Set<String>] = [
        "begin_preferences": ["ok", "closed", "none"],
        "next_preference_block": ["ask", "done"],
        "save_preference": ["ok", "closed"],
        "save_wish": ["ok", "closed"],
    ]
    static let suitabilities = TalkPlanner.Suitability.allCases.map(\.rawValue)
    static let wishes = ["early", "late", "none"]

    /// Performs a preference action; nil when `action` is not one of them.
    mutating func performPreferenceAction(_ action: String, session: inout Session) throws -> String? {
        switch action {
        case "begin_preferences":
            session.vars["closes"] = .day(school.booking.closes)
            guard school.booking.collectsPreferences(at: now) else { return "closed" }
            let blocks = try householdBlocks()
            guard !blocks.isEmpty else { return "none" }
            session.vars["pending_blocks"] = .text(blocks.map(\.id).joined(separator: " "))
            session.vars["total"] = .number(blocks.count)
            return "ok"
        case "next_preference_block":
            guard case .text(let pending)? = session.vars["pending_blocks"], let next = pending.split(separator: " ").first,
                  let block = try householdBlocks().first(where: { $0.id == next }) else {
                session.vars["summary"] = .text(try preferenceSummary())
                return "done"
            }
            let rest = pending.split(separator: " ").dropFirst()
            session.vars["pending_blocks"] = .text(rest.joined(separator: " "))
            session.vars["block"] = .text(block.id)
            session.vars["day"] = .day(block.start)
            session.vars["block_kind"] = .message("preferences.kind_\(block.kind.rawValue)")
            if case .number(let total)? = session.vars["total"] { session.vars["count"] = .number(total - rest.count) }
            let current = try tx.preferences(household: household)[household]?.blocks[block.id]
            session.vars["current"] = .text(current.map { localizer.text("preferences.current", ["answer": .message("preferences.\($0)")], language: language) } ?? "")
            return "ask"
        case "save_preference":
            guard school.booking.collectsPreferences(at: now) else { return "closed" }
            if case .text(let block)? = session.vars["block"], case .text(let answer)? = session.vars["suitability"],
               Self.suitabilities.contains(answer), try householdBlocks().contains(where: { $0.id == block }) {
                try tx.savePreference(household: household, block: block, suitability: answer, at: now)
            }
            session.vars["suitability"] = nil
            return "ok"
        case "save_wish":
            guard school.booking.collectsPreferences(at: now) else { return "closed" }
            if case .text(let wish)? = session.vars["wish"], Self.wishes.contains(wish) {
                try tx.saveWish(household: household, wish: wish, at: now)
            }
            session.vars["summary"] = .text(try preferenceSummary())
            return "ok"
        default:
            return nil
        }
    }

    func suitabilityOptions() -> [Option] {
        Self.suitabilities.map { Option(id: $0, label: "preferences.\($0)") }
    }

    func wishOptions() -> [Option] {
        Self.wishes.map { Option(id: $0, label: "preferences.wish_\($0)") }
    }

    /// The blocks the teachers of this household's children keep free, in time order.
    func householdBlocks() throws -> [PreferenceBlock] {
        let teachers = try tx.children(household: household).flatMap { school.teachers(ofGroup: $0.groupID).map(\.id) }
        return school.preferenceBlocks(teachers: Set(teachers))
    }

    /// One line per block with what the household said of it.
    func preferenceSummary() throws -> String {
        let answers = try tx.preferences(household: household)[household]?.blocks ?? [:]
        return try householdBlocks().compactMap { block in
            answers[block.id].map { answer in
                localizer.text("preferences.summary_line", ["day": .day(block.start), "block_kind": .message("preferences.kind_\(block.kind.rawValue)"),
                                                             "answer": .message("preferences.\(answer)")], language: language)
            }
        }.joined(separator: "\n")
    }
}
