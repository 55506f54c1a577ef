import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

@Suite struct BookingConversationTests {
    @Test func aParentBooksMovesAndCancelsInDutch() async throws {
        let school = try TestSchool()
        let household = try school.household(children: 1)
        let chat = Conversation(school, inviteCode: household.code)
        try await chat.start(language: "nl")
        try await chat.press("Nederlands")
        try await chat.press("Gesprek plannen")
        let children = chat.lastMessages.last?.choices ?? []
        try await chat.press(try #require(children.first).label)
        let days = try #require(chat.lastMessages.last?.choices.first)
        try await chat.press(days.label)
        let time = try #require(chat.lastMessages.last?.choices.first)
        try await chat.press(time.label)
        #expect(chat.transcript.contains { $0.hasPrefix("Gepland!") && $0.contains("/ics/") })
        #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 1)

        try await chat.say("verzetten")
        try await chat.say("1")      // the talk
        try await chat.say("2")      // another day
        try await chat.say("1")      // its first time
        #expect(chat.transcript.contains { $0.hasPrefix("Verzet!") })
        #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 1)

        try await chat.say("afzeggen")
        try await chat.say("1")
        try await chat.press("Ja, afzeggen")
        #expect(chat.transcript.contains { $0.hasPrefix("Het gesprek is afgezegd") })
        #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 0)
    }

    @Test func unknownInputGetsAShortRepromptAndDuplicatesAreIgnored() async throws {
        let school = try TestSchool()
        let chat = Conversation(school, inviteCode: try school.household().code)
        try await chat.start(language: "nl")
        try await chat.press("Nederlands")
        let replies = try await chat.say("blablabla", messageID: "m1")
        #expect(replies.first?.text.hasPrefix("Dat begreep ik niet") == true)
        #expect(replies.last?.choices.isEmpty == false)
        let again = try await chat.say("blablabla", messageID: "m1")
        #expect(again.isEmpty)
    }

    @Test func aRestartInTheMiddleResumesAtTheSameQuestion() async throws {
        let school = try TestSchool()
        let code = try school.household().code
        let chat = Conversation(school, inviteCode: code, address: "restart-test")
        try await chat.start(language: "nl")
        try await chat.press("Nederlands")
        try await chat.press("Gesprek plannen")
        let childLabel = try #require(chat.lastMessages.last?.choices.first?.label)
        try await chat.press(childLabel)
        let dayQuestion = try #require(chat.lastMessages.last)

        let restarted = try school.restarted()
        let resumed = Conversation(restarted, inviteCode: code, address: "restart-test")
        try await resumed.say("1")
        #expect(resumed.lastMessages.last?.text.hasPrefix("Hoe laat") == true, "the day question \(dayQuestion.text) was answered after the restart")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: Repository.locales.appendingPathComponent("ar.yaml").path), "needs locales/ar.yaml"))
    func arabicIsRightToLeftAndTooLongMessagesGetAFriendlyAnswer() async throws {
        let school = try TestSchool()
        let chat = Conversation(school, inviteCode: try school.household().code)
        try await chat.start(language: "ar")
        let arabic = try #require(chat.lastMessages.last?.choices.first { $0.label == "العربية" }, "Arabic is offered")
        try await chat.press(arabic.label)
        #expect(chat.lastMessages.allSatisfy { $0.rightToLeft && $0.language == "ar" })
        let replies = try await chat.say(String(repeating: "x", count: maximumInboundTextLength + 1))
        #expect(replies.count == 1 && replies[0].rightToLeft)
    }

    @Test(arguments: [("so", "Soomaali", false), ("ti", "ትግርኛ", false), ("fa", "فارسی", true), ("es", "Español", false)])
    func aNewLanguageIsSuggestedByThePlatformOfferedInItsOwnNameAndReadInItsDirection(language: String, name: String, rightToLeft: Bool) async throws {
        let school = try TestSchool()
        let household = try school.household()
        let chat = Conversation(school, inviteCode: household.code)
        let welcome = try #require(try await chat.start(language: language).last)
        #expect(welcome.language == language && welcome.rightToLeft == rightToLeft && welcome.text.contains("Samenspraak"))
        #expect(welcome.choices.map(\.label) == ["Nederlands", "English", "العربية", "Türkçe", "Polski", "Українська", "Soomaali", "ትግርኛ", "فارسی", "Español"])
        try await chat.press(name)
        #expect(chat.lastMessages.count == 2 && chat.lastMessages.allSatisfy { $0.language == language && $0.rightToLeft == rightToLeft })
        let contact = try #require(try school.runtime.database.readNow { try $0.contacts(household: household.id) }.first)
        #expect(contact.language == language)
    }

    @Test func whenTwoParentsPickTheSameTimeTheSecondIsOfferedTheOthers() async throws {
        let school = try TestSchool()
        // Two households with a single child each, in the same group (so the same teacher and the same times).
        let (first, second) = try school.runtime.database.readNow { tx -> (String, String) in
            var byGroup: [String: String] = [:]
            for household in try tx.households() {
                let children = try tx.children(household: household.id ?? 0)
                guard children.count == 1, try tx.households(ofChild: children[0].id).count == 1 else { continue }
                if let other = byGroup[children[0].groupID] { return (other, household.inviteCode) }
                byGroup[children[0].groupID] = household.inviteCode
            }
            throw TestSchoolError.noSuchHousehold
        }
        var chats: [Conversation] = []
        for code in [first, second] {
            let chat = Conversation(school, inviteCode: code)
            try await chat.start(language: "nl")
            try await chat.press("Nederlands")
            try await chat.press("Gesprek plannen")
            try await chat.say("1")   // the child
            try await chat.say("1")   // the first day
            chats.append(chat)
        }
        let offered = try #require(chats[1].lastMessages.last?.choices.first?.label)
        try await chats[0].say("1")
        try await chats[1].say("1")   // the same time, now taken
        #expect(chats[1].lastMessages.first?.text.hasPrefix("Net iemand anders heeft die tijd gekozen") == true)
        let alternatives = chats[1].lastMessages.last?.choices.map(\.label) ?? []
        #expect(!alternatives.isEmpty && !alternatives.contains(offered), "the taken time is no longer offered")
        #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 1)
        try await chats[1].say("1")
        #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 2)
    }

    @Test func anUnknownInviteCodeIsRefused() async throws {
        let school = try TestSchool()
        let outcome = try await school.runtime.service.start(channel: .terminal, address: "x", platformMessageID: "1", inviteCode: "2222-2222-2222", languageHint: nil)
        #expect(outcome == .unknownSender)
    }
}
