import AsyncHTTPClient
import Foundation
import Testing
@testable import Translation

/// The DeepL client against a fake DeepL on 127.0.0.1: the key in its header, our languages in DeepL's codes, each
/// error status sorted, and languages DeepL lacks refused without a request.
@Suite(.timeLimit(.minutes(1))) struct DeepLClientTests {
    @Test func theKeyGoesInTheHeaderAndTheLanguagesInDeepLsCodes() async throws {
        let fake = FakeDeepL()
        try await fake.serving { url in
            let client = DeepLClient(http: .shared, key: fake.key, baseURL: url)
            #expect(try await client.translate(Phrases.gymDutch, from: "nl", to: "ar") == Phrases.gymArabic)
            #expect(try await client.translate(Phrases.gymDutch, from: "nl", to: "en") == Phrases.gymEnglish)
            #expect(try await client.translate(Phrases.gymDutch, from: "nl", to: "fa") == Phrases.gymPersian)
            #expect(try await client.translate(Phrases.lateArabic, from: nil, to: "nl") == Phrases.lateDutch)
            _ = try await client.translate("Can I come a bit later?", from: "en", to: "tr")
        }
        let requests = fake.requests
        #expect(requests.allSatisfy { $0.path == "/v2/translate" && $0.authorization == "DeepL-Auth-Key \(fake.key)" && $0.contentType == "application/json" })
        #expect(requests[0].json as NSDictionary == ["text": [Phrases.gymDutch], "source_lang": "NL", "target_lang": "AR"])
        #expect(requests.map { $0.json["target_lang"] as? String } == ["AR", "EN-GB", "FA", "NL", "TR"], "British English as a target")
        #expect(requests.map { $0.json["source_lang"] as? String } == ["NL", "NL", "NL", nil, "EN"], "plain EN as a source; none: DeepL detects it")
    }

    @Test func freeKeysGoToTheFreeAddress() {
        #expect(DeepLClient.defaultURL(forKey: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:fx") == "https://api-free.deepl.com")
        #expect(DeepLClient.defaultURL(forKey: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0") == "https://api.deepl.com")
        #expect(DeepLClient(http: .shared, key: "k:fx").baseURL == "https://api-free.deepl.com")
        #expect(DeepLClient(http: .shared, key: "k", baseURL: "http://127.0.0.1:8/").baseURL == "http://127.0.0.1:8")
    }

    @Test func eachErrorStatusIsSorted() async throws {
        let fake = FakeDeepL()
        let failures = try await fake.serving { url in
            fake.provider.answerNext(FakeDeepL.tooManyRequests, FakeDeepL.overloaded, FakeDeepL.quotaExceeded, FakeDeepL.internalError,
                                     FakeDeepL.unavailable, FakeDeepL.badTarget)
            let client = DeepLClient(http: .shared, key: fake.key, baseURL: url)
            var failures: [TranslationFailure] = []
            for _ in 0..<6 { failures.append(await failure { try await client.translate(Phrases.gymDutch, from: "nl", to: "pl") }) }
            failures.append(await failure { try await DeepLClient(http: .shared, key: "another-key", baseURL: url).translate(Phrases.gymDutch, from: "nl", to: "pl") })
            return failures
        }
        #expect(failures == [
            .rateLimited, .rateLimited, .quotaExceeded, .unavailable("HTTP 500"), .unavailable("HTTP 503"),
            .unsupportedLanguage("HTTP 400: Value for 'target_lang' not supported."),
            .rejected("HTTP 403: the key was refused (wrong key, or one for the other plan's address)"),
        ])
    }

    @Test func languagesDeepLLacksFailWithoutARequest() async throws {
        let fake = FakeDeepL()
        let failures = try await fake.serving { url in
            let client = DeepLClient(http: .shared, key: fake.key, baseURL: url)
            return [await failure { try await client.translate(Phrases.gymDutch, from: "nl", to: "so") },
                    await failure { try await client.translate(Phrases.gymDutch, from: "nl", to: "ti") },
                    await failure { try await client.translate("Salaan", from: "so", to: "nl") }]
        }
        #expect(failures == [.unsupportedLanguage("DeepL does not translate into so"), .unsupportedLanguage("DeepL does not translate into ti"),
                             .unsupportedLanguage("DeepL does not translate from so")])
        #expect(fake.requests.isEmpty)
        // Every other language a school ships is DeepL's, Persian included.
        for language in ["nl", "en", "ar", "tr", "pl", "uk", "es", "fa"] {
            #expect(DeepLLanguages.target(language) != nil && DeepLLanguages.source(language) != nil, "\(language)")
        }
        #expect(DeepLLanguages.source("en") == "EN" && DeepLLanguages.target("pt") == "PT-PT" && DeepLLanguages.target("uk") == "UK")
    }

    @Test func theKeyAndTheTextNeverAppearInAFailure() async throws {
        let fake = FakeDeepL()
        let text = "Het wachtwoord van de klassenapp is Zonnebloem-42"
        let failures = try await fake.serving { url in
            // A provider that echoes what it was sent in its error message.
            fake.provider.answerNext(CannedAnswer(status: .badRequest, body: #"{"message":"Cannot parse '\#(text)' with key \#(fake.key)"}"#),
                                     CannedAnswer(status: .unauthorized, body: #"{"message":"Unknown key \#(fake.key)"}"#))
            let client = DeepLClient(http: .shared, key: fake.key, baseURL: url)
            return [await failure { try await client.translate(text, from: "nl", to: "ar") }, await failure { try await client.translate(text, from: "nl", to: "ar") }]
        }
        #expect(failures.map(\.kind) == ["rejected", "rejected"])
        for failure in failures {
            #expect(!failure.description.contains(fake.key) && !failure.description.contains(text) && !failure.description.contains("Zonnebloem"), "\(failure)")
        }
    }
}
