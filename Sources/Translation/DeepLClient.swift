import AsyncHTTPClient
import Foundation

/// DeepL API v2: `POST {base}/v2/translate` with the key in `Authorization: DeepL-Auth-Key …`, a JSON body
/// {"text": […], "target_lang", "source_lang"}, answered by {"translations": [{"detected_source_language", "text"}]}
/// or {"message"} with 403 (the key), 429 or 529 (too many requests), 456 (quota), 5xx. A language DeepL does not
/// translate (Somali, Tigrinya) fails at once, without a request.
public struct DeepLClient: TranslationProvider {
    let http: HTTPClient
    let baseURL: String
    let key: String
    let timeout: Duration

    public var name: String { "deepl" }

    /// Keys of the free plan end in ":fx" and work only at the free plan's address.
    public static func defaultURL(forKey key: String) -> String {
        key.hasSuffix(":fx") ? "https://api-free.deepl.com" : "https://api.deepl.com"
    }

    /// `baseURL` nil: DeepL's own address for the key's plan; a test server otherwise.
    public init(http: HTTPClient, key: String, baseURL: String? = nil, timeout: Duration = .seconds(10)) {
        let url = baseURL ?? Self.defaultURL(forKey: key)
        self.http = http
        self.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.key = key
        self.timeout = timeout
    }

    public func translate(_ text: String, from source: String?, to target: String) async throws -> String {
        guard let targetCode = DeepLLanguages.target(target) else { throw TranslationFailure.unsupportedLanguage("DeepL does not translate into \(target)") }
        var sourceCode: String?
        if let source {
            guard let code = DeepLLanguages.source(source) else { throw TranslationFailure.unsupportedLanguage("DeepL does not translate from \(source)") }
            sourceCode = code
        }
        let request = ProviderRequest(http: http, url: "\(baseURL)/v2/translate", headers: [("Authorization", "DeepL-Auth-Key \(key)")], timeout: timeout)
        let (status, data) = try await request.post(TranslateRequest(text: [text], targetLang: targetCode, sourceLang: sourceCode))
        if status == 200, let translated = try? JSONDecoder().decode(TranslateResponse.self, from: data).translations.first?.text { return translated }
        let message = (try? JSONDecoder().decode(ErrorResponse.self, from: data)).map {
            TranslationFailure.providerMessage($0.message, without: [text, key])
        }
        throw Self.failure(status: status, message: message)
    }

    static func failure(status: Int, message: String?) -> TranslationFailure {
        let reason = "HTTP \(status)" + (message.map { ": \($0)" } ?? "")
        switch status {
        case 200: return .unavailable("an answer without a translation")
        case 403: return .rejected("HTTP 403: the key was refused (wrong key, or one for the other plan's address)")
        case 429, 529: return .rateLimited
        case 456: return .quotaExceeded
        case 400 where message?.lowercased().contains("lang") == true && message?.contains("not supported") == true:
            return .unsupportedLanguage(reason)
        case 400..<500: return .rejected(reason)
        default: return .unavailable("HTTP \(status)")
        }
    }
}

private struct TranslateRequest: Encodable {
    var text: [String]
    var targetLang: String
    var sourceLang: String?
    enum CodingKeys: String, CodingKey { case text, targetLang = "target_lang", sourceLang = "source_lang" }
}

private struct TranslateResponse: Decodable {
    struct Translated: Decodable {
        var text: String
    }
    var translations: [Translated]
}

private struct ErrorResponse: Decodable {
    var message: String
}
