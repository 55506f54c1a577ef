import Foundation

/// Why a text was not translated, sorted by what it means for the school. A description never holds the API key or
/// the text: both are removed from anything a provider answered before it goes in here.
public enum TranslationFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// A network error or the provider's own trouble (5xx): it may work again in a moment.
    case unavailable(String)
    /// Too many requests in a short time.
    case rateLimited
    /// The account's characters for this period are used up (DeepL's 456); the school has to act.
    case quotaExceeded
    /// The provider refused the request itself (a wrong key, a bad request); trying again fails the same way.
    case rejected(String)
    /// The provider does not translate between these languages.
    case unsupportedLanguage(String)
    /// No answer within the deadline.
    case timedOut

    /// The kind alone, for logs and counts.
    public var kind: String {
        switch self {
        case .unavailable: "unavailable"
        case .rateLimited: "rate_limited"
        case .quotaExceeded: "quota_exceeded"
        case .rejected: "rejected"
        case .unsupportedLanguage: "unsupported_language"
        case .timedOut: "timed_out"
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let reason): "unavailable: \(reason)"
        case .rateLimited: "rate limited"
        case .quotaExceeded: "quota exceeded"
        case .rejected(let reason): "rejected: \(reason)"
        case .unsupportedLanguage(let reason): "unsupported language: \(reason)"
        case .timedOut: "timed out"
        }
    }

    /// A provider's error message fit for a failure: without the key or the text, should the provider echo them,
    /// and short (a message is a line in the log, not a page).
    static func providerMessage(_ message: String, without secrets: [String]) -> String {
        var cleaned = message
        for secret in secrets where !secret.isEmpty { cleaned = cleaned.replacingOccurrences(of: secret, with: "…") }
        cleaned = String(cleaned.filter { !$0.isNewline }.prefix(200))
        return cleaned
    }
}
