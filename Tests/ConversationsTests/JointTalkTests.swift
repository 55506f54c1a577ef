import Foundation
import Storage
import Testing
import TestSupport

/// A child of separated parents, at a school that plans one joint talk per child: the second household
/// hears about the talk, can join it, and hears when it is moved or cancelled — unless it said "stop".
@Suite struct JointTalkTests {
    struct Family {
        let school: TestSchool
        let childName: String
        let first: Conversation
        let second: Conversation
    }

    func jointFamily() async throws -> Family {
        let plain = try TestSchool()
        let yaml = plain.directory.url.appendingPathComponent("school.yaml")
        let text = try String(contentsOf: yaml, encoding: .utf8)
        try text.replacingOccurrences(of: "separated_households: separate", with: "separated_households: joint")
            .write(to: yaml, atomically: true, encoding: .utf8)
        let school = try plain.restarted()
        let (childName, codes) = try school.runtime.database.readNow { tx -> (String, [String]) in
            for household in try tx.households() {
                for child in try tx.children(household: household.id ?? 0) {
                    let households = try tx.households(ofChild: child.id)
                    if households.count == 2 {
                        let all = try tx.households()
                        return (child.firstName, households.compactMap { id in all.first { $0.id == id }?.inviteCode })
                    }
                }
            }
            throw TestSchoolError.noSuchHousehold
        }
        let first = Conversation(school, inviteCode: codes[0])
        let second = Conversation(school, inviteCode: codes[1])
        for chat in [first, second] {
            try await chat.start(language: "nl")
            try await chat.press("Nederlands")
        }
        return Family(school: school, childName: childName, first: first, second: second)
    }

    func book(_ chat: Conversation, child: String) async throws {
        try await chat.say("menu")
        try await chat.press("Gesprek plannen")
        if let label = chat.lastMessages.last?.choices.first(where: { $0.label.hasPrefix(child) })?.label {
            try await chat.press(label)
        }
    }

    @Test func theOtherHouseholdHearsOfTheTalkJoinsItAndHearsOfChanges() async throws {
        let family = try await jointFamily()
        try await book(family.first, child: family.childName)
        try await family.first.say("1")   // day
        try await family.first.say("1")   // time
        #expect(family.first.lastMessages.last?.text.hasPrefix("Gepland!") == true || family.first.transcript.contains { $0.hasPrefix("Gepland!") })

        let notice = try await family.second.receive()
        #expect(notice.count == 1)
        #expect(notice.first?.text.hasPrefix("De andere ouder heeft het startgesprek over \(family.childName) gepland") == true)

        try await book(family.second, child: family.childName)
        #expect(family.second.lastMessages.last?.text.hasPrefix("De andere ouder van \(family.childName) heeft al een gesprek gepland") == true)
        try await family.second.press("Aansluiten")
        #expect(family.second.transcript.contains { $0.hasPrefix("U bent aangesloten") }, "\(family.second.transcript.joined(separator: "\n"))")
        #expect(try family.school.runtime.database.readNow { try $0.activeBookingCount() } == 1)

        try await family.first.say("verzetten")
        try await family.first.say("1")
        try await family.first.say("2")
        try await family.first.say("1")
        let moved = try await family.second.receive()
        #expect(moved.map(\.text) == moved.filter { $0.text.contains("is door de andere ouder verzet naar") }.map(\.text) && moved.count == 1)

        try await family.second.say("stop")
        try await family.first.say("afzeggen")
        try await family.first.say("1")
        try await family.first.press("Ja, afzeggen")
        #expect(try await family.second.receive().isEmpty, "stop means no messages the parent did not ask for")
        #expect(try family.school.runtime.database.readNow { try $0.activeBookingCount() } == 0)
    }

    /// A household with two chats (a parent on Telegram and SMS, or two guardians sharing the invitation) hears of
    /// changes once, in the chat it last wrote from.
    @Test func aHouseholdWithTwoChatsHearsWhereItLastWrote() async throws {
        let family = try await jointFamily()
        family.school.clock.advance(by: 60)
        let sms = Conversation(family.school, inviteCode: try family.school.runtime.database.readNow { tx in
            try #require(try tx.households().first { try tx.contacts(household: $0.id ?? 0).contains { $0.address == family.second.address } }?.inviteCode)
        })
        try await sms.start(language: "nl")
        try await sms.press("Nederlands")
        _ = try await family.second.receive()

        family.school.clock.advance(by: 60)
        try await book(family.first, child: family.childName)
        try await family.first.say("1")
        try await family.first.say("1")
        #expect(try await sms.receive().contains { $0.text.hasPrefix("De andere ouder heeft het startgesprek over \(family.childName) gepland") })
        #expect(try await family.second.receive().isEmpty, "the household's other chat is not written to as well")

        // Writing from the first chat again makes it the one the household hears in.
        family.school.clock.advance(by: 60)
        try await family.second.say("help")
        _ = try await family.second.receive()
        family.school.clock.advance(by: 60)
        try await family.first.say("afzeggen")
        try await family.first.say("1")
        try await family.first.press("Ja, afzeggen")
        #expect(try await family.second.receive().contains { $0.text.contains("is door de andere ouder afgezegd") })
        #expect(try await sms.receive().isEmpty)
    }

    @Test func aCancellationReachesTheOtherHousehold() async throws {
        let family = try await jointFamily()
        try await book(family.first, child: family.childName)
        try await family.first.say("1")
        try await family.first.say("1")
        _ = try await family.second.receive()
        try await family.first.say("afzeggen")
        try await family.first.say("1")
        try await family.first.press("Ja, afzeggen")
        let cancelled = try await family.second.receive()
        #expect(cancelled.count == 1 && cancelled[0].text.contains("is door de andere ouder afgezegd"))
    }
}
