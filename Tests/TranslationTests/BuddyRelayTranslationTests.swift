import App
import Foundation
import Storage
import Testing
import TestSupport

/// What one buddy writes to the other, translated by a fake LibreTranslate on 127.0.0.1: the step stores it and answers
/// at once; the relay loop translates it for the other's language with the original below, and when the provider is
/// slow or fails the message goes out untranslated with a short note.
@Suite struct BuddyRelayTranslationTests {
    func school(_ baseURL: String) throws -> TestSchool {
        try TestSchool(translation: TranslationSettings(provider: .libreTranslate(url: baseURL, key: nil), timeout: .milliseconds(300)))
    }

    @Test func theArabicParentsWordsReachTheDutchBuddyTranslatedWithTheOriginalKept() async throws {
        let provider = FakeLibreTranslate()
        try await provider.serving { baseURL in
            let school = try school(baseURL)
            let (dutch, arabic, _, introduction) = try await school.pairedBuddies()
            try await arabic.press(introduction.choices[0].label, in: introduction)
            try await arabic.say(Phrases.lateArabic)
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

    @Test func aSlowOrFailingProviderLetsTheMessageGoUntranslatedWithANote() async throws {
        let provider = FakeLibreTranslate()
        try await provider.serving { baseURL in
            let school = try school(baseURL)
            let (dutch, arabic, introduction, _) = try await school.pairedBuddies()
            try await dutch.press(introduction.choices[0].label, in: introduction)
            try await dutch.say(Phrases.gymDutch)
            provider.provider.delayAnswers(by: .seconds(3))
            let started = ContinuousClock.now
            #expect(try await school.runtime.service.relayBuddyMessages() == 1)
            #expect(ContinuousClock.now - started < .seconds(2))   // the translator's deadline, not the provider's pace
            let late = try #require(try await arabic.receive().first)
            #expect(late.rightToLeft && late.text.hasSuffix(":\n\(Phrases.gymDutch)") && late.text.contains("تعذّرت الترجمة"))

            provider.provider.delayAnswers(by: .zero)
            provider.provider.answerNext(FakeLibreTranslate.translationError)
            try await dutch.press(introduction.choices[0].label, in: introduction)
            try await dutch.say("Tot donderdag!")
            #expect(try await school.runtime.service.relayBuddyMessages() == 1)
            #expect(try await arabic.receive().first?.text.contains("تعذّرت الترجمة") == true)
        }
    }

    @Test func aMessageWaitingWhenThePairingEndsIsNotPassedOn() async throws {
        let provider = FakeLibreTranslate()
        try await provider.serving { baseURL in
            let school = try school(baseURL)
            let (dutch, arabic, introduction, _) = try await school.pairedBuddies()
            try await dutch.press(introduction.choices[0].label, in: introduction)
            try await dutch.say(Phrases.gymDutch)
            try await dutch.say("stop")
            _ = try await arabic.receive()
            #expect(try await school.runtime.service.relayBuddyMessages() == 1)
            #expect(try await arabic.receive().isEmpty)
            #expect(try school.runtime.database.readNow { try $0.waitingBuddyMessages(limit: 10) }.isEmpty)
        }
    }
}
