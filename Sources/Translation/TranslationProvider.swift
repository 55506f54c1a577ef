/// A machine translation service. Language codes are ours, lowercase and without region ("nl", "ar", "fa"); each
/// provider maps them to its own. A pair the provider cannot translate fails with `.unsupportedLanguage` before
/// any request is made.
public protocol TranslationProvider: Sendable {
    /// A short name for the logs ("deepl", "libretranslate").
    var name: String { get }

    /// `source` nil: the provider detects the language. Throws a `TranslationFailure`.
    func translate(_ text: String, from source: String?, to target: String) async throws -> String
}
