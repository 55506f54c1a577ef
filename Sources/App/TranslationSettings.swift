import AsyncHTTPClient
import Logging
import SamenspraakCore
import Translation

/// A translation provider for the free text teachers and parents write: which one, at what address, its key (a
/// secret, never printed) and how long a conversation waits for it before the message goes out untranslated.
public struct TranslationSettings: Sendable, CustomStringConvertible {
    public enum Provider: Sendable, Equatable {
        /// A LibreTranslate server; the key only when the server asks for one.
        case libreTranslate(url: String, key: String?)
        /// DeepL; `url` nil: DeepL's own address for the key's plan.
        case deepL(key: String, url: String?)
    }

    /// What `translation_provider` may say.
    enum Name: String, CaseIterable {
        case none, libretranslate, deepl
    }

    public var provider: Provider
    public var timeout: Duration

    public static let defaultTimeoutMilliseconds = 2000
    /// Long enough for a provider far away, short enough that a parent never notices the wait.
    static let allowedTimeoutMilliseconds = 100...10_000

    public init(provider: Provider, timeout: Duration = .milliseconds(TranslationSettings.defaultTimeoutMilliseconds)) {
        self.provider = provider
        self.timeout = timeout
    }

    public var description: String {
        let waits = "waits \(timeout.wholeMilliseconds) ms"
        return switch provider {
        case .libreTranslate(let url, let key): "LibreTranslate at \(url), \(waits)\(key == nil ? "" : " (key hidden)")"
        case .deepL(let key, let url): "DeepL at \(url ?? DeepLClient.defaultURL(forKey: key)), \(waits) (key hidden)"
        }
    }

    /// The translator the daemon calls, its provider reached over `http`.
    public func makeTranslator(http: HTTPClient = .shared, logger: Logger) -> Translator {
        let client: any TranslationProvider = switch provider {
        case .libreTranslate(let url, let key): LibreTranslateClient(http: http, baseURL: url, apiKey: key)
        case .deepL(let key, let url): DeepLClient(http: http, key: key, baseURL: url)
        }
        return Translator(provider: client, deadline: timeout, logger: logger)
    }
}
