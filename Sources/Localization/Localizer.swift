import Foundation
import SamenspraakCore

/// All shipped languages; renders a message key in a reader's language, falling back to the base
/// language (Dutch) key by key, so a reader never sees a raw key.
public final class Localizer: Sendable {
    public let baseLanguage: String
    public let catalogs: [String: LocaleCatalog]
    /// Languages in a stable order: the base first, then alphabetical.
    public let languages: [String]
    public let keywords: KeywordMatcher
    private let formatters: FormatterCache

    public init(catalogs: [LocaleCatalog], baseLanguage: String = "nl", timeZone: TimeZone) {
        self.baseLanguage = baseLanguage
        self.catalogs = Dictionary(catalogs.map { ($0.language, $0) }, uniquingKeysWith: { first, _ in first })
        self.languages = [baseLanguage] + catalogs.map(\.language).filter { $0 != baseLanguage }.sorted()
        self.keywords = KeywordMatcher(catalogs: catalogs)
        self.formatters = FormatterCache(timeZone: timeZone)
    }

    /// The language to use for `requested`: itself when shipped, else its primary subtag ("ar-MA" → "ar"), else the base.
    public func supported(_ requested: String?) -> String {
        guard let requested = requested?.lowercased() else { return baseLanguage }
        if catalogs[requested] != nil { return requested }
        let primary = String(requested.prefix { $0 != "-" && $0 != "_" })
        return catalogs[primary] != nil ? primary : baseLanguage
    }

    public func isRightToLeft(_ language: String) -> Bool { catalogs[supported(language)]?.rightToLeft ?? false }

    public func languageName(_ language: String) -> String { catalogs[language]?.name ?? language }

    public func hasMessage(_ key: String) -> Bool { catalogs[baseLanguage]?.messages[key] != nil }

    /// Renders `key` with `values` in `language`.
    public func text(_ key: String, _ values: [String: MessageValue] = [:], language: String) -> String {
        let language = supported(language)
        if let entry = catalogs[language]?.messages[key] {
            return render(entry, values, language: language)
        }
        if let entry = catalogs[baseLanguage]?.messages[key] {
            return render(entry, values, language: baseLanguage)
        }
        // `samenspraak check` rejects flows that use unknown keys; this only guards against a broken deployment.
        return catalogs[language]?.messages["common.unavailable"].map { render($0, [:], language: language) } ?? "…"
    }

    /// Formats a single value as `language` shows it.
    public func format(_ value: MessageValue, language: String) -> String {
        let language = supported(language)
        switch value {
        case .text(let text): return text
        case .number(let number): return String(number)
        case .message(let key): return text(key, language: language)
        case .day(let date): return formatters.string(date, pattern: catalogs[language]?.dayFormat ?? "EEEE d MMMM", language: language)
        case .time(let date): return formatters.string(date, pattern: catalogs[language]?.timeFormat ?? "HH:mm", language: language)
        }
    }

    private func render(_ entry: LocaleCatalog.Entry, _ values: [String: MessageValue], language: String) -> String {
        let template: Template
        switch entry {
        case .text(let text):
            template = text
        case .plural(let forms):
            let count: Int
            if case .number(let number)? = values["count"] { count = number } else { count = 0 }
            template = forms[PluralRules.category(count, language: language)] ?? forms[.other] ?? Template.empty
        }
        var result = ""
        for part in template.parts {
            switch part {
            case .literal(let literal): result += literal
            case .placeholder(let name): result += values[name].map { format($0, language: language) } ?? ""
            }
        }
        return result
    }
}

extension Template {
    static let empty = Template(parts: [])
}

/// Date formatters are costly to create, so one per language and pattern is kept; formatting is serialised
/// because DateFormatter is not safe to share between threads on Linux.
final class FormatterCache: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: [String: DateFormatter] = [:]
    private let timeZone: TimeZone

    init(timeZone: TimeZone) { self.timeZone = timeZone }

    func string(_ date: Date, pattern: String, language: String) -> String {
        lock.withLock {
            let key = language + "|" + pattern
            if let formatter = cache[key] { return formatter.string(from: date) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: language)
            formatter.timeZone = timeZone
            formatter.dateFormat = pattern
            cache[key] = formatter
            return formatter.string(from: date)
        }
    }
}

/// Recognises command words ("afzeggen", "cancel", "إلغاء") typed alone, in any shipped language.
public struct KeywordMatcher: Sendable {
    private let commands: [String: String]

    public init(catalogs: [LocaleCatalog]) {
        var commands: [String: String] = [:]
        for catalog in catalogs.sorted(by: { $0.language < $1.language }) {
            for (command, words) in catalog.keywords.sorted(by: { $0.key < $1.key }) {
                for word in words where commands[word] == nil { commands[word] = command }
            }
        }
        self.commands = commands
    }

    /// The command `text` asks for, if it is exactly one of the command words.
    public func command(for text: String) -> String? {
        let normalised = text.foldedForMatching
        guard normalised.count <= 40 else { return nil }
        return commands[normalised]
    }

}
