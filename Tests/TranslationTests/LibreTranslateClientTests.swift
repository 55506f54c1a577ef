import AsyncHTTPClient
import Foundation
import Testing
@testable import Translation

/// The LibreTranslate client against a fake server on 127.0.0.1: the request it sends, and each error status sorted.
@Suite(.timeLimit(.minutes(1))) struct LibreTranslateClientTests {
    @Test func aTextIsSentWithItsLanguagesAndTheKeyAndTheTranslationComesBack() async throws {
        let fake = FakeLibreTranslate(apiKey: "lt-key-5f2a")
        try await fake.serving { url throws in
            let client = LibreTranslateClient(http: .shared, baseURL: url + "/", apiKey: "lt-key-5f2a")
            #expect(try await client.translate(Phrases.gymDutch, from: "nl", to: "ar") == Phrases.gymArabic)
            #expect(try await client.translate(Phrases.lateArabic, from: nil, to: "nl") == Phrases.lateDutch)
        }
        let requests = fake.requests
        #expect(requests.map(\.path) == ["/translate", "/translate"])
        #expect(requests.allSatisfy { $0.contentType == "application/json" && $0.authorization == nil })
        #expect(requests[0].json as NSDictionary == ["q": Phrases.gymDutch, "source": "nl", "target": "ar", "format": "text", "api_key": "lt-key-5f2a"])
        #expect(requests[1].json["source"] as? String == "auto", "nil: the server detects the language")
    }

    @Test func withoutAKeyNoneIsSent() async throws {
        let fake = FakeLibreTranslate()
        try await fake.serving { url throws in
            #expect(try await LibreTranslateClient(http: .shared, baseURL: url).translate(Phrases.gymDutch, from: "nl", to: "fa") == Phrases.gymPersian)
        }
        #expect(fake.requests.first?.json.keys.sorted() == ["format", "q", "source", "target"])
    }

    @Test func eachErrorStatusIsSorted() async throws {
        let fake = FakeLibreTranslate(apiKey: "lt-key-5f2a")
        let failures = try await fake.serving { url throws in
            fake.provider.answerNext(FakeLibreTranslate.unsupported, FakeLibreTranslate.invalidRequest, FakeLibreTranslate.invalidKey,
                                     FakeLibreTranslate.slowDown, FakeLibreTranslate.translationError,
                                     CannedAnswer(status: .ok, body: #"{"detectedLanguage":{"confidence":0,"language":"nl"}}"#))
            let client = LibreTranslateClient(http: .shared, baseURL: url, apiKey: "lt-key-5f2a")
            var failures: [TranslationFailure] = []
            for _ in 0..<6 { failures.append(await failure { try await client.translate("Hallo", from: "nl", to: "so") }) }
            // A wrong key, refused by the server itself.
            failures.append(await failure { try await LibreTranslateClient(http: .shared, baseURL: url, apiKey: "wrong").translate("Hallo", from: "nl", to: "ar") })
            return failures
        }
        #expect(failures == [
            .unsupportedLanguage("HTTP 400: so is not supported"),
            .rejected("HTTP 400: Invalid request: missing q parameter"),
            .rejected("HTTP 403: Invalid API key"),
            .rateLimited,
            .unavailable("HTTP 500"),
            .unavailable("an answer without a translation"),
            .rejected("HTTP 403: Invalid API key"),
        ])
    }

    @Test func anUnreachableServerIsUnavailable() async throws {
        // Port 9 (discard) has nobody listening on 127.0.0.1; the HTTP client tries to connect again until its timeout.
        let client = LibreTranslateClient(http: .shared, baseURL: "http://127.0.0.1:9", timeout: .milliseconds(300))
        let failure = await failure { try await client.translate("Hallo", from: "nl", to: "ar") }
        #expect(failure.kind == "unavailable" && !failure.description.contains("127.0.0.1"))
    }
}

/// The failure `body` throws; a test fails when it throws something else or nothing.
func failure(_ body: () async throws -> String) async -> TranslationFailure {
    do {
        let text = try await body()
        Issue.record("translated to \(text) instead of failing")
    } catch let failure as TranslationFailure {
        return failure
    } catch {
        Issue.record("threw \(error)")
    }
    return .unavailable("no failure")
}
