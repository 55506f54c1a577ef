import App
import Foundation
import Hummingbird
import TestSupport

/// A LibreTranslate server on 127.0.0.1: `POST /translate` with {"q", "source", "target", "format", "api_key"},
/// answered with {"translatedText"} (and {"detectedLanguage"} for "auto"), or with the server's {"error"} bodies.
/// With `apiKey` it refuses requests without that key, as a server started with --api-keys does.
final class FakeLibreTranslate: Sendable {
    let provider = FakeProviderState()
    let apiKey: String?

    init(apiKey: String? = nil) { self.apiKey = apiKey }

    var requests: [ReceivedRequest] { provider.requests }

    static let invalidRequest = CannedAnswer(status: .badRequest, body: #"{"error":"Invalid request: missing q parameter"}"#)
    static let unsupported = CannedAnswer(status: .badRequest, body: #"{"error":"so is not supported"}"#)
    static let invalidKey = CannedAnswer(status: .forbidden, body: #"{"error":"Invalid API key"}"#)
    static let slowDown = CannedAnswer(status: .tooManyRequests, body: #"{"error":"Slowdown: 20 per 1 minute"}"#)
    static let translationError = CannedAnswer(status: .internalServerError, body: #"{"error":"Cannot translate text: list index out of range"}"#)

    func serving<T: Sendable>(_ body: (_ baseURL: String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/translate") { request, _ -> Response in
            let (data, canned) = try await self.provider.receive(request, path: "/translate")
            if let canned { return Response.json(canned.body, canned.status) }
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            guard let q = object["q"] as? String, let source = object["source"] as? String, let target = object["target"] as? String else {
                return Response.json(Self.invalidRequest.body, .badRequest)
            }
            if let apiKey = self.apiKey, object["api_key"] as? String != apiKey {
                return Response.json(Self.invalidKey.body, .forbidden)
            }
            var answer: [String: Any] = ["translatedText": Phrases.translate(q, to: target)]
            if source == "auto" { answer["detectedLanguage"] = ["confidence": 90.0, "language": Phrases.detect(q)] }
            return FakeProviderState.json(answer)
        }
        return try await TestSupport.serving(router, label: "fake-translation-provider") { try await body("http://127.0.0.1:\($0)") }
    }
}

extension FakeLibreTranslate {
    /// A demo school that translates through this fake, for the length of `body`. The deadline is generous unless a test
    /// is about it, so a loaded machine does not turn a translation into a timeout.
    func school<T: Sendable>(timeout: Duration = .seconds(5), _ body: (TestSchool) async throws -> T) async throws -> T {
        try await serving { baseURL in
            try await body(try TestSchool(translation: TranslationSettings(provider: .libreTranslate(url: baseURL, key: nil), timeout: timeout)))
        }
    }
}
