import AsyncHTTPClient
import Foundation

/// A LibreTranslate server (self-hosted, or libretranslate.com with an API key): `POST {base}/translate` with
/// {"q", "source", "target", "format", "api_key"}, answered by {"translatedText"} or {"error"} with 400, 403, 429 or
/// 500. Which languages it translates depends on the models the server installed, so a pair is only known to be
/// unsupported when the server says so.
public struct LibreTranslateClient: TranslationProvider {
    let http: HTTPClient
    let baseURL: String
    let apiKey: String?
    let timeout: Duration

    public var name: String { "libretranslate" }

    /// `baseURL` such as https://translate.school.nl; `apiKey` when the server asks for one.
    public init(http: HTTPClient, baseURL: String, apiKey: String? = nil, timeout: Duration = .seconds(10)) {
        self.http = http
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.timeout = timeout
    }

    public func translate(_ text: String, from source: String?, to target: String) async throws -> String {
        let body = TranslateRequest(q: text, source: source ?? "auto", target: target, format: "text", apiKey: apiKey)
        let (status, data) = try await ProviderRequest(http: http, url: "\(baseURL)/translate", timeout: timeout).post(body)
        if status == 200, let answer = try? JSONDecoder().decode(TranslateResponse.self, from: data) { return answer.translatedText }
        let message = (try? JSONDecoder().decode(ErrorResponse.self, from: data)).map {
            TranslationFailure.providerMessage($0.error, without: [text, apiKey ?? ""])
        }
        throw Self.failure(status: status, message: message)
    }

    static func failure(status: Int, message: String?) -> TranslationFailure {
        let reason = "HTTP \(status)" + (message.map { ": \($0)" } ?? "")
        switch status {
        case 200: return .unavailable("an answer without a translation")
        // "xx is not supported", "… is not available as a target language from …"
        case 400 where message?.contains("not supported") == true || message?.contains("not available as a target language") == true:
            return .unsupportedLanguage(reason)
        case 429: return .rateLimited
        // A wrong key, or a server that banned this address after too many violations of its limits.
        case 400..<500: return .rejected(reason)
        default: return .unavailable("HTTP \(status)")
        }
    }
}

private struct TranslateRequest: Encodable {
    var q: String
    var source: String
    var target: String
    var format: String
    var apiKey: String?
    enum CodingKeys: String, CodingKey { case q, source, target, format, apiKey = "api_key" }
}

private struct TranslateResponse: Decodable {
    var translatedText: String
}

private struct ErrorResponse: Decodable {
    var error: String
}
