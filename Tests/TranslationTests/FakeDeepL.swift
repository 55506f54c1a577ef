import Foundation
import Hummingbird
import TestSupport

/// DeepL's API v2 on 127.0.0.1: `POST /v2/translate` with `Authorization: DeepL-Auth-Key <key>` and a JSON body
/// {"text": […], "target_lang", "source_lang"}, answered with {"translations": [{"detected_source_language", "text"}]},
/// or with DeepL's {"message"} bodies: 403 for another key, 429, 456 (quota), 5xx.
final class FakeDeepL: Sendable {
    let provider = FakeProviderState()
    let key = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:fx"

    var requests: [ReceivedRequest] { provider.requests }

    static let forbidden = CannedAnswer(status: .forbidden, body: #"{"message":"Forbidden"}"#)
    static let tooManyRequests = CannedAnswer(status: .tooManyRequests, body: #"{"message":"Too many requests, DeepL servers are currently experiencing high load"}"#)
    static let quotaExceeded = CannedAnswer(status: .init(code: 456, reasonPhrase: "Quota Exceeded"), body: #"{"message":"Quota Exceeded"}"#)
    static let internalError = CannedAnswer(status: .internalServerError, body: #"{"message":"Internal server error"}"#)
    static let unavailable = CannedAnswer(status: .serviceUnavailable, body: "")
    static let overloaded = CannedAnswer(status: .init(code: 529, reasonPhrase: "Too Many Requests"), body: #"{"message":"Too many requests"}"#)
    static let badTarget = CannedAnswer(status: .badRequest, body: #"{"message":"Value for 'target_lang' not supported."}"#)

    func serving<T: Sendable>(_ body: (_ baseURL: String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/v2/translate") { request, _ -> Response in
            let (data, canned) = try await self.provider.receive(request, path: "/v2/translate")
            if let canned { return Response.json(canned.body, canned.status) }
            guard request.headers[.authorization] == "DeepL-Auth-Key \(self.key)" else { return Response.json(Self.forbidden.body, .forbidden) }
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            guard let texts = object["text"] as? [String], let target = object["target_lang"] as? String else {
                return Response.json(#"{"message":"Parameter 'text' not specified."}"#, .badRequest)
            }
            let source = object["source_lang"] as? String
            let translations = texts.map { text -> [String: Any] in
                ["detected_source_language": source ?? Phrases.detect(text).uppercased(), "text": Phrases.translate(text, to: target)]
            }
            return FakeProviderState.json(["translations": translations])
        }
        return try await TestSupport.serving(router, label: "fake-translation-provider") { try await body("http://127.0.0.1:\($0)") }
    }
}
