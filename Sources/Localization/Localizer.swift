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
    /// Per language, its day and time formatters with the strings they made.
    private let dates: [String: DateStrings]

    public init(catalogs: [LocaleCatalog], baseLanguage: String = "nl", timeZone: TimeZone) {
        self.baseLanguage = baseLanguage
        self.catalogs = Dictionary(catalogs.map { ($0.language, $0) }, uniquingKeysWith: { first, _ in first })
        self.languages = [baseLanguage] + catalogs.map(\.language).filter { $0 != baseLanguage }.sorted()
        self.keywords = KeywordMatcher(catalogs: catalogs)
        self.dates = Dictionary(catalogs.map { ($0.language, DateStrings(catalog: $0, timeZone: timeZone)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The language to use for `requested`: itself when shipped, else its primary subtag ("ar-MA" → "ar"), else the base.
    public func supported(_ requested: String?) -> String {
        guard let requested else { return baseLanguage }
        if catalogs[requested] != nil { return requested }  // the common case, without lower-casing
        let lowered = requested.lowercased()
        if catalogs[lowered] != nil { return lowered }
        let primary = String(lowered.prefix { $0 != "-" && $0 != "_" })
        return catalogs[primary] != nil ? primary : baseLanguage
    }

    public func isRightToLeft(_ language: String) -> Bool { (catalogs[language] ?? catalogs[supported(language)])?.rightToLeft ?? false }

    public func languageName(_ language: String) -> String { catalogs[language]?.name ?? language }

    public func hasMessage(_ key: String) -> Bool { catalogs[baseLanguage]?.messages[key] != nil }

    /// Renders `key` with `values` in `language`.
    public func text(_ key: String, _ values: [String: MessageValue] = [:], language: String) -> String {
        text(key, values, fallback: [:], language: language)
    }

    /// Renders `key` taking each placeholder from `values`, else from `fallback` (an option's own values over the
    /// conversation's), without merging the two dictionaries for every option shown.
    public func text(_ key: String, _ values: [String: MessageValue], fallback: [String: MessageValue], language: String) -> String {
        let catalog = catalogs[language] ?? catalogs[supported(language)]
        if let catalog, let entry = catalog.messages[key] {
            return render(entry, values, fallback, catalog: catalog)
        }
        if let catalog = catalogs[baseLanguage], let entry = catalog.messages[key] {
            return render(entry, values, fallback, catalog: catalog)
        }
        // `samenspraak check` rejects flows that use unknown keys; this only guards against a broken deployment.
        guard let catalog, let entry = catalog.messages["common.unavailable"] else { return "…" }
        return render(entry, [:], [:], catalog: catalog)
    }

    /// Formats a single value as `language` shows it.
    public func format(_ value: MessageValue, language: String) -> String {
        guard let catalog = catalogs[supported(language)] else { return "" }
        return format(value, catalog: catalog)
    }

    private func format(_ value: MessageValue, catalog: LocaleCatalog) -> String {
        switch value {
        case .text(let text): return text
        case .number(let number): return String(number)
        case .message(let key): return text(key, language: catalog.language)
        case .day(let date): return dates[catalog.language]?.day(date) ?? ""
        case .time(let date): return dates[catalog.language]?.time(date) ?? ""
        case .month(let month): return dates[catalog.language]?.month(month) ?? String(month)
        }
    }

    private func render(_ entry: LocaleCatalog.Entry, _ values: [String: MessageValue], _ fallback: [String: MessageValue],
                        catalog: LocaleCatalog) -> String {
        let template: Template
        switch entry {
        case .text(let text):
            template = text
        case .plural(let forms):
            let count: Int
            if case .number(let number)? = values["count"] ?? fallback["count"] { count = number } else { count = 0 }
            template = forms[PluralRules.category(count, language: catalog.language)] ?? forms[.other] ?? Template.empty
        }
        var result = ""
        for part in template.parts {
            switch part {
            case .literal(let literal): result += literal
            case .placeholder(let name): result += (values[name] ?? fallback[name]).map { format($0, catalog: catalog) } ?? ""
            }
        }
        return result
    }
}

extension Template {
    static let empty = Template(parts: [])
}

/// One language's day and time formatting. DateFormatter is costly to create and not safe to share between
/// threads on Linux, so each is made once and used under a lock; and as the same few hundred talk times are
/// shown to every parent, the finished strings are kept too (bounded).
final class DateStrings: @unchecked Sendable {
    private let lock = NSLock()
    private let dayFormatter: DateFormatter
    private let timeFormatter: DateFormatter
    private var days: [Date: String] = [:]
    private var times: [Date: String] = [:]
    private static let maximumStrings = 10_000

    init(catalog: LocaleCatalog, timeZone: TimeZone) {
        func formatter(_ pattern: String) -> DateFormatter {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: catalog.language)
            // The school's calendar in every language: Persian's own would make 30 November "9 Azar".
            formatter.calendar = Calendar(identifier: .gregorian)
            formatter.timeZone = timeZone
            formatter.dateFormat = pattern
            return formatter
        }
        dayFormatter = formatter(catalog.dayFormat)
        timeFormatter = formatter(catalog.timeFormat)
        months = formatter("LLLL").standaloneMonthSymbols
    }

    private let months: [String]

    /// The month's name as it stands alone ("juni", not a genitive form some languages use inside a date).
    func month(_ month: Int) -> String { months.indices.contains(month - 1) ? months[month - 1] : String(month) }

    func day(_ date: Date) -> String { lock.withLock { Self.string(date, &days, dayFormatter) } }
    func time(_ date: Date) -> String { lock.withLock { Self.string(date, &times, timeFormatter) } }

    private static func string(_ date: Date, _ made: inout [Date: String], _ formatter: DateFormatter) -> String {
        if let string = made[date] { return string }
        if made.count >= maximumStrings { made.removeAll(keepingCapacity: true) }
        let string = formatter.string(from: date)
        made[date] = string
        return string
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
