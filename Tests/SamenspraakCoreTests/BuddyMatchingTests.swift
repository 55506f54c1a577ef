import Foundation
import SamenspraakCore
import Testing

/// Who is proposed as whose buddy, as tables, and the double opt-in: nothing is a pairing until both said yes.
@Suite struct BuddyMatchingTests {
    static func volunteer(_ id: Int64, _ languages: Set<String>, _ situations: Set<BuddySituation> = [.language], capacity: Int = 1, active: Int = 0,
                          paused: Bool = false, groups: Set<String> = ["g3"]) -> BuddyVolunteer {
        BuddyVolunteer(householdID: id, languages: languages, situations: situations, capacity: capacity, active: active, paused: paused, groupIDs: groups)
    }

    static func need(_ languages: [String], _ situation: BuddySituation = .language, household: Int64 = 1, groups: Set<String> = ["g3"]) -> BuddyNeed {
        BuddyNeed(id: household * 100, householdID: household, languages: languages, situation: situation, groupIDs: groups)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let need: BuddyNeed
        let volunteers: [BuddyVolunteer]
        var declined: Set<BuddyMatcher.Pair> = []
        /// The household proposed, or the reason nobody is.
        let expected: Result<Int64, BuddyMatcher.Unmatched>
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "a language need: only someone who speaks both the parent's language and Dutch",
            need: need(["ar"]), volunteers: [volunteer(10, ["ar"]), volunteer(11, ["nl", "en"]), volunteer(12, ["nl", "ar"])], expected: .success(12)),
        Row(name: "nobody speaks Tigrinya and Dutch", need: need(["ti", "en"]), volunteers: [volunteer(10, ["ti"]), volunteer(11, ["nl", "en"])],
            expected: .failure(.noSharedLanguage(["ti", "nl"]))),
        Row(name: "the parent's own language before another they share",
            need: need(["tr", "en"], .firstChild), volunteers: [volunteer(10, ["nl", "en"], [.firstChild]), volunteer(11, ["nl", "tr"], [])],
            expected: .success(11)),
        Row(name: "then the situation", need: need(["nl"], .learning),
            volunteers: [volunteer(10, ["nl"], [.firstChild]), volunteer(11, ["nl"], [.learning], groups: ["g8"])], expected: .success(11)),
        Row(name: "then the same group", need: need(["nl"], .newInArea),
            volunteers: [volunteer(10, ["nl"], [.newInArea], groups: ["g7"]), volunteer(11, ["nl"], [.newInArea], groups: ["g3", "g5"])], expected: .success(11)),
        Row(name: "then the buddy with fewer parents", need: need(["nl"], .firstChild),
            volunteers: [volunteer(10, ["nl"], [.firstChild], capacity: 3, active: 2), volunteer(11, ["nl"], [.firstChild], capacity: 3, active: 1)],
            expected: .success(11)),
        Row(name: "never the parent themselves", need: need(["nl"], .firstChild, household: 10),
            volunteers: [volunteer(10, ["nl"], [.firstChild])], expected: .failure(.noVolunteers)),
        Row(name: "never someone declined before (either way)", need: need(["nl", "ar"]),
            volunteers: [volunteer(10, ["nl", "ar"]), volunteer(11, ["nl", "ar"])], declined: [.init(10, 1)], expected: .success(11)),
        Row(name: "everyone who fits was declined", need: need(["ar"]), volunteers: [volunteer(10, ["nl", "ar"])], declined: [.init(1, 10)],
            expected: .failure(.everyoneDeclined)),
        Row(name: "paused and full buddies are skipped", need: need(["pl"]),
            volunteers: [volunteer(10, ["nl", "pl"], paused: true), volunteer(11, ["nl", "pl"], capacity: 2, active: 2), volunteer(12, ["nl", "pl"], capacity: 2, active: 1)],
            expected: .success(12)),
        Row(name: "everyone who fits is paused or full", need: need(["pl"]),
            volunteers: [volunteer(10, ["nl", "pl"], paused: true), volunteer(11, ["nl", "pl"], active: 1)], expected: .failure(.everyoneFullOrPaused)),
        Row(name: "no buddies at all", need: need(["so"]), volunteers: [], expected: .failure(.noVolunteers)),
    ]

    @Test(arguments: rows) func theBestBuddyIsProposedOrTheReasonGiven(_ row: Row) {
        let outcome = BuddyMatcher.match(row.need, among: row.volunteers, declined: row.declined).map(\.volunteer.householdID)
        #expect(outcome == row.expected)
        // The same volunteers in another order give the same proposal.
        #expect(BuddyMatcher.match(row.need, among: row.volunteers.reversed(), declined: row.declined).map(\.volunteer.householdID) == row.expected)
    }

    @Test func proposingForManyParentsCountsEachBuddysCapacity() {
        let buddies = [Self.volunteer(10, ["nl", "ar"], capacity: 2), Self.volunteer(11, ["nl", "ar", "fa"])]
        let needs = [Self.need(["ar"], household: 1), Self.need(["ar"], household: 2), Self.need(["fa"], household: 3), Self.need(["ar"], household: 4)]
        let proposals = BuddyMatcher.proposeAll(needs, volunteers: buddies, declined: [])
        #expect(proposals.mapValues { $0.map(\.volunteer.householdID) } == [
            100: .success(10), 200: .success(11), 300: .failure(.everyoneFullOrPaused), 400: .success(10),
        ])
        #expect(proposals[100].flatMap { try? $0.get().language } == "ar")
    }

    @Test func aPairingNeedsBothYesesAndANoFromEitherEndsIt() {
        let asked = Date(timeIntervalSince1970: 1_795_424_400)
        var introduction = BuddyIntroduction(askedAt: asked)
        #expect(introduction.answer(.buddy, yes: true, at: asked + 60) == .waitingForTheOther)
        #expect(introduction.state == .asking && introduction.pairedAt == nil && introduction.checkInDue == nil)
        #expect(introduction.answer(.buddy, yes: true, at: asked + 120) == .waitingForTheOther)   // twice is once
        #expect(introduction.buddyConsent == asked + 60)
        #expect(introduction.answer(.parent, yes: true, at: asked + 3600) == .paired)
        #expect(introduction.pairedAt == asked + 3600 && introduction.checkInDue == asked + 3600 + 14 * 86_400)
        #expect(introduction.answer(.parent, yes: false, at: asked + 7200) == .alreadyDecided(.paired))
        #expect(introduction.end() && introduction.state == .ended && !introduction.end())

        var declined = BuddyIntroduction(askedAt: asked)
        #expect(declined.answer(.parent, yes: true, at: asked + 60) == .waitingForTheOther)
        #expect(declined.answer(.buddy, yes: false, at: asked + 120) == .declined)
        #expect(declined.answer(.buddy, yes: true, at: asked + 180) == .alreadyDecided(.declined))
        #expect(declined.pairedAt == nil && !declined.end())

        var late = BuddyIntroduction(askedAt: asked)
        #expect(late.answer(.parent, yes: true, at: asked + 8 * 86_400) == .alreadyDecided(.expired))
        #expect(late.parentConsent == nil)
    }
}
