import AsyncHTTPClient
import Foundation
import Logging
import Testing
import TestSupport
@testable import Translation

/// The `Translator` the daemon calls, over the fake providers: it gives up at its deadline, keeps translations,
/// asks nothing it need not ask, and never logs the text, the translation or the key.
@Suite(.timeLimit(.minutes(1))) struct TranslatorTests {
    static var quiet: Logger {
        var logger = Logger(label: "translator-test")
        logger.logLevel = .critical
        return logger
    }

    /// Long enough that a busy machine running the whole suite never makes a deadline that is not the subject expire.
    static let patient: Duration = .seconds(30)

    @Test func aSlowProviderIsGivenUpOnAtTheDeadlineAndTheOriginalComesBack() async throws {
        let fake = FakeDeepL()
        fake.provider.holdAnswers()
        let (translation, waited) = try await fake.serving { url in
            let translator = Translator(provider: DeepLClient(http: .shared, key: fake.key, baseURL: url), deadline: .milliseconds(200), logger: Self.quiet)
            let started = ContinuousClock.now
            let translation = await translator.translate(Phrases.gymDutch, from: "nl", to: "ar")
            let waited = ContinuousClock.now - started
            fake.provider.releaseAnswers()
            return (translation, waited)
        }
        // The provider had not answered (it could not before its release), so the translator gave up by itself.
        #expect(translation == Translation(original: Phrases.gymDutch, translated: nil, failure: .timedOut))
        #expect(translation.text == Phrases.gymDutch && translation.failure?.description == "timed out")
        #expect(fake.requests.count == 1)
        // Generous: the whole suite runs at once on few cores.
        #expect(waited >= .milliseconds(200) && waited < .seconds(5), "\(waited)")
    }

    @Test func aTranslationIsKeptAndTheSameTextIsNotAskedForAgain() async throws {
        let fake = FakeLibreTranslate()
        let translations = try await fake.serving { url in
            let translator = Translator(provider: LibreTranslateClient(http: .shared, baseURL: url), deadline: Self.patient, logger: Self.quiet)
            return [await translator.translate(Phrases.gymDutch, from: "nl", to: "ar"),
                    await translator.translate(Phrases.gymDutch, from: "nl", to: "ar"),
                    await translator.translate(Phrases.gymDutch, from: "NL", to: "ar-SA"),
                    await translator.translate(Phrases.gymDutch, from: "nl", to: "fa"),
                    await translator.translate(Phrases.gymDutch, from: nil, to: "ar")]
        }
        #expect(translations.map(\.translated) == [Phrases.gymArabic, Phrases.gymArabic, Phrases.gymArabic, Phrases.gymPersian, Phrases.gymArabic])
        #expect(translations.allSatisfy { $0.failure == nil && $0.original == Phrases.gymDutch })
        // Another target, or the source left to detection, is another request.
        #expect(fake.requests.map { $0.json["target"] as? String } == ["ar", "fa", "ar"])
        #expect(fake.requests.map { $0.json["source"] as? String } == ["nl", "nl", "auto"])
    }

    @Test func theSameLanguageAndEmptyTextsAreNotSent() async throws {
        let fake = FakeDeepL()
        let translations = try await fake.serving { url in
            let translator = Translator(provider: DeepLClient(http: .shared, key: fake.key, baseURL: url), deadline: Self.patient, logger: Self.quiet)
            return [await translator.translate(Phrases.gymDutch, from: "nl", to: "nl"),
                    await translator.translate(Phrases.gymEnglish, from: "en-GB", to: "EN"),
                    await translator.translate("", from: "nl", to: "ar"),
                    await translator.translate(" \n\t ", from: "nl", to: "ar")]
        }
        #expect(translations.map(\.translated) == [Phrases.gymDutch, Phrases.gymEnglish, "", " \n\t "])
        #expect(translations.allSatisfy { $0.failure == nil })
        #expect(fake.requests.isEmpty)
    }

    @Test func anUnsupportedPairFailsAtOnceWithoutARequest() async throws {
        let fake = FakeDeepL()
        let translation = try await fake.serving { url in
            await Translator(provider: DeepLClient(http: .shared, key: fake.key, baseURL: url), deadline: Self.patient, logger: Self.quiet)
                .translate(Phrases.gymDutch, from: "nl", to: "ti")
        }
        #expect(translation == Translation(original: Phrases.gymDutch, translated: nil, failure: .unsupportedLanguage("DeepL does not translate into ti")))
        #expect(fake.requests.isEmpty)
    }

    @Test func arabicAndPersianTravelAsUTF8() async throws {
        let fake = FakeLibreTranslate()
        let translation = try await fake.serving { url in
            await Translator(provider: LibreTranslateClient(http: .shared, baseURL: url), deadline: Self.patient, logger: Self.quiet).translate(Phrases.gymArabic, from: "ar", to: "fa")
        }
        #expect(translation.translated == Phrases.gymPersian)
        let body = try #require(fake.requests.first?.body)
        // The Arabic text as its UTF-8 bytes in the body, not as \u escapes or another encoding.
        #expect(body.range(of: Data(Phrases.gymArabic.utf8)) != nil)
        #expect(fake.requests.first?.json["q"] as? String == Phrases.gymArabic)
        #expect(Phrases.gymPersian.contains("\u{200C}"), "the zero-width non-joiner of Persian words survives the round trip")
    }

    @Test func concurrentRequestsForOneTextShareOneCall() async throws {
        let fake = FakeDeepL()
        fake.provider.delayAnswers(by: .milliseconds(300))
        let translations = try await fake.serving { url in
            let translator = Translator(provider: DeepLClient(http: .shared, key: fake.key, baseURL: url), deadline: Self.patient, logger: Self.quiet)
            return await withTaskGroup(of: Translation.self) { group in
                for _ in 0..<8 { group.addTask { await translator.translate(Phrases.gymDutch, from: "nl", to: "ar") } }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(translations.count == 8 && translations.allSatisfy { $0.translated == Phrases.gymArabic })
        #expect(fake.requests.count == 1)
    }

    @Test func whatIsLoggedNamesTheProviderLanguagesOutcomeAndDurationButNeverTheTextOrTheKey() async throws {
        let fake = FakeDeepL()
        let log = CapturedLog()
        let secretText = "Het wachtwoord van de klassenapp is Zonnebloem-42"
        let translations = try await fake.serving { url in
            let translator = Translator(provider: DeepLClient(http: .shared, key: fake.key, baseURL: url), deadline: Self.patient, logger: log.logger(label: "translation-test"))
            var translations = [await translator.translate(Phrases.gymDutch, from: "nl", to: "ar"),
                                await translator.translate(Phrases.gymDutch, from: "nl", to: "ar"),
                                await translator.translate(Phrases.gymDutch, from: "nl", to: "so")]
            fake.provider.answerNext(CannedAnswer(status: .badRequest, body: #"{"message":"Cannot parse '\#(secretText)' with key \#(fake.key)"}"#),
                                     FakeDeepL.quotaExceeded)
            translations.append(await translator.translate(secretText, from: "nl", to: "ar"))
            translations.append(await translator.translate(secretText, from: "nl", to: "ar"))
            return translations
        }
        #expect(translations.map { $0.failure?.kind } == [nil, nil, "unsupported_language", "rejected", "quota_exceeded"])
        let lines = log.all
        #expect(lines.map { $0.metadata["outcome"] } == ["translated", "cached", "unsupported_language", "rejected", "quota_exceeded"])
        #expect(lines.allSatisfy { $0.metadata["provider"] == "deepl" && $0.metadata["from"] == "nl" && Int($0.metadata["ms"] ?? "") != nil })
        #expect(lines.map { $0.metadata["to"] } == ["ar", "ar", "so", "ar", "ar"])
        #expect(lines.map(\.level) == [.debug, .debug, .debug, .warning, .warning], "only what the school may need to fix is a warning")
        for line in lines {
            for secret in [fake.key, Phrases.gymDutch, Phrases.gymArabic, secretText, "Zonnebloem", "klassenapp"] {
                #expect(!line.text.contains(secret), "\(line.text)")
            }
        }
    }

    @Test func theCacheForgetsTheLeastRecentlyUsedFirst() {
        var cache = LRUCache<String, Int>(capacity: 3)
        cache.insert(1, for: "a")
        cache.insert(2, for: "b")
        cache.insert(3, for: "c")
        #expect(cache.value(for: "a") == 1, "now the most recently used")
        cache.insert(4, for: "d")
        #expect(cache.value(for: "b") == nil && cache.count == 3)
        cache.insert(30, for: "c")
        cache.insert(5, for: "e")
        #expect(cache.value(for: "a") == nil, "a was used before c was replaced")
        #expect([cache.value(for: "c"), cache.value(for: "d"), cache.value(for: "e")] == [30, 4, 5])
        var one = LRUCache<Int, Int>(capacity: 1)
        for i in 0..<10 { one.insert(i, for: i) }
        #expect(one.value(for: 9) == 9 && one.value(for: 8) == nil && one.count == 1)
    }
}
