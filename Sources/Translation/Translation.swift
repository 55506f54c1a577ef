/// What became of one text: the original always, the text in the target language or nil, and why not when it failed.
public struct Translation: Sendable, Equatable {
    public let original: String
    /// The provider's translation, or the original itself when it needed none (the same language, only whitespace);
    /// nil when translating failed.
    public let translated: String?
    public let failure: TranslationFailure?

    /// What to show: the translation, or the original when there is none (then with a short note that it is untranslated).
    public var text: String { translated ?? original }

    public init(original: String, translated: String?, failure: TranslationFailure?) {
        self.original = original
        self.translated = translated
        self.failure = failure
    }

    static func unchanged(_ text: String) -> Translation { Translation(original: text, translated: text, failure: nil) }
    static func failed(_ text: String, _ failure: TranslationFailure) -> Translation { Translation(original: text, translated: nil, failure: failure) }
}
