import App
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// What one buddy writes to the other, translated by a fake LibreTranslate on 127.0.0.1: the step stores it and answers
/// at once; the relay loop translates it for the other's language with the original below, and when the provider is
/// slow or fails the message goes out untranslated with a short note.
@Suite struct BuddyRelayTranslationTests {
    /// Writes `text` to the buddy with the "write" button of `introduction`.
    func write(_ text: String, _ chat: Conversation, _ introduction: OutboundMessage) async throws {
        try await chat.press(introduction.choices[0].label, in: introduction)
        try await chat.say(text)
    }

    @Test func theArabicParentsWordsReachTheDutchBuddyTranslatedWithTheOriginalKept() async throws {
        let provider = FakeLibreTranslate()
        try await provider.school { school in
            let (dutch, arabic, _, introduction) = try await school.pairedBuddies()
            try await write(Phrases.lateArabic, arabic, introduction)
            #expect(arabic.lastMessages.count == 1)                // "passed on", without waiting for the provider
            #expect(try await dutch.receive().isEmpty)
            #expect(try await school.runtime.service.relayBuddyMessages() == 1)
            let relayed = try #require(try await dutch.receive().first)
            #expect(relayed.text.hasSuffix("schrijft (automatisch vertaald):\n\(Phrases.lateDutch)\n\nOrigineel:\n\(Phrases.lateArabic)"))
            #expect(relayed.choices.count == 1)
            #expect(provider.requests.count == 1)
            #expect(try school.runtime.database.readNow { try $0.waitingBuddyMessages(limit: 10) }.isEmpty)
        }
    }

    @Test func aSlowProviderLetsTheMessageGoUntranslatedWithANote() async throws {
        let provider = FakeLibreTranslate()
        try await provider.school(timeout: .milliseconds(500)) { school in
            let (dutch, arabic, introduction, _) = try await school.pairedBuddies()
            try await write(Phrases.gymDutch, dutch, introduction)
            provider.provider.delayAnswers(by: .seconds(6))
            let started = ContinuousClock.now
            #expect(try await school.runtime.service.relayBuddyMessages() == 1)
            #expect(ContinuousClock.now - started < .seconds(5))   // the translator's deadline, not the provider's pace
            let late = try #require(try await arabic.receive().first)
            #expect(late.rightToLeft && late.text.hasSuffix(":\n\(Phrases.gymDutch)") && late.text.contains("تعذّرت الترجمة"))
        }
    }

    @Test func aFailingProviderLetsTheMessageGoUntranslatedWithANote() async throws {
        let provider = FakeLibreTranslate()
        try await provider.school { school in
            let (dutch, arabic, introduction, _) = try await school.pairedBuddies()
            provider.provider.answerNext(FakeLibreTranslate.translationError)
            try await write("Tot donderdag!", dutch, introduction)
            #expect(try await school.runtime.service.relayBuddyMessages() == 1)
            let untranslated = try #require(try await arabic.receive().first)
            #expect(untranslated.text.hasSuffix(":\nTot donderdag!") && untranslated.text.contains("تعذّرت الترجمة"))
        }
    }

    @Test func aMessageWaitingWhenThePairingEndsIsNotPassedOn() async throws {
        let provider = FakeLibreTranslate()
        try await provider.school { school in
            let (dutch, arabic, introduction, _) = try await school.pairedBuddies()
            try await write(Phrases.gymDutch, dutch, introduction)
            try await dutch.say("stop")
            _ = try await arabic.receive()
            #expect(try await school.runtime.service.relayBuddyMessages() == 1)
            #expect(try await arabic.receive().isEmpty)
            #expect(try school.runtime.database.readNow { try $0.waitingBuddyMessages(limit: 10) }.isEmpty)
        }
    }
}
