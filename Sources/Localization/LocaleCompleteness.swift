import DataFiles

/// How completely one locale translates the base language (Dutch), with every gap named by file and key:
/// `samenspraak check` prints `so: 215/215 keys` per language and fails on any issue.
///
/// A key counts as translated when it is present, uses exactly the base text's placeholders (none left out,
/// none unknown) and, for a plural message, has every plural form its language needs (a translation may use plural
/// forms where the base has one text with `{count}`, as Arabic does for "every {count} weeks"). Keys the base does not
/// have, and command words missing for a command the base has words for, are issues too.
public struct LocaleCompleteness: Sendable {
    public var language: String
    /// Where the locale was read from, as issues name it (`locales/so.yaml`).
    public var file: String
    /// The base language's keys.
    public var total: Int
    /// Of those, the keys this locale translates completely.
    public var translated: Int
    public var issues: [FileIssue]

    public var isComplete: Bool { issues.isEmpty }

    /// One line for the report: "so: 215/215 keys", or with what is wrong.
    public var summary: String {
        let line = "\(language): \(translated)/\(total) keys"
        return issues.isEmpty ? line : line + " — \(issues.count) problem\(issues.count == 1 ? "" : "s")"
    }

    public init(_ catalog: LocaleCatalog, base: LocaleCatalog, file: String, baseFile: String) {
        language = catalog.language
        self.file = file
        total = base.messages.count
        var translated = 0
        var issues: [FileIssue] = []
        func baseLine(_ key: String) -> String { base.lines[key].map { "\(baseFile):\($0)" } ?? baseFile }
        func list(_ names: [String]) -> String { names.map { "{\($0)}" }.joined(separator: ", ") }

        for (key, source) in base.messages.sorted(by: { $0.key < $1.key }) {
            guard let entry = catalog.messages[key] else {
                issues.append(FileIssue(file: file, line: nil, message: "missing translation of '\(key)' (\(baseLine(key)))"))
                continue
            }
            let line = catalog.lines[key]
            var problems: [String] = []
            switch (source, entry) {
            case (.text(let text), .plural) where !text.placeholders.contains("count"):
                problems.append("message '\(key)' has plural forms, but \(baseLine(key)) has no {count} to choose one by")
            case (.plural, .text) where PluralRules.requiredCategories(language: catalog.language) != [.other]:
                problems.append("message '\(key)' is one text, but \(baseLine(key)) has plural forms (\(catalog.language) needs "
                                + PluralRules.requiredCategories(language: catalog.language).map(\.rawValue).sorted().joined(separator: ", ") + ")")
            case (_, .plural(let forms)):
                // A translation may need plural forms where the base has one text with {count} ("every {count} weeks").
                let missing = PluralRules.requiredCategories(language: catalog.language).subtracting(forms.keys)
                if !missing.isEmpty {
                    problems.append("plural message '\(key)' lacks the forms \(missing.map(\.rawValue).sorted().joined(separator: ", "))")
                }
            default:
                break
            }
            let unknown = entry.placeholders.subtracting(source.placeholders).sorted()
            if !unknown.isEmpty {
                problems.append("message '\(key)' uses the unknown placeholder\(unknown.count == 1 ? "" : "s") \(list(unknown))"
                                + " (\(baseLine(key)) has \(source.placeholders.isEmpty ? "none" : list(source.placeholders.sorted())))")
            }
            let leftOut = source.placeholders.subtracting(entry.placeholders).sorted()
            if !leftOut.isEmpty {
                problems.append("message '\(key)' leaves out the placeholder\(leftOut.count == 1 ? "" : "s") \(list(leftOut)) (\(baseLine(key)))")
            }
            issues += problems.map { FileIssue(file: file, line: line, message: $0) }
            if problems.isEmpty { translated += 1 }
        }
        for key in catalog.messages.keys.sorted() where base.messages[key] == nil {
            issues.append(FileIssue(file: file, line: catalog.lines[key], message: "'\(key)' is not a key of the base language (\(baseFile))"))
        }
        for command in base.keywords.keys.sorted() where catalog.keywords[command]?.isEmpty ?? true {
            issues.append(FileIssue(file: file, line: nil, message: "no command words for '\(command)' under keywords: (\(baseFile) has them)"))
        }
        self.translated = translated
        self.issues = issues
    }

    /// A word that means one command in one language and another command in another: typed alone it can only
    /// mean one of them (the first language alphabetically), so the other language's parents would be misread.
    public static func conflictingKeywords(_ catalogs: [(catalog: LocaleCatalog, file: String)]) -> [FileIssue] {
        var meaning: [String: (command: String, language: String)] = [:]
        var issues: [FileIssue] = []
        for (catalog, file) in catalogs.sorted(by: { $0.catalog.language < $1.catalog.language }) {
            for (command, words) in catalog.keywords.sorted(by: { $0.key < $1.key }) {
                for word in words {
                    if let first = meaning[word] {
                        if first.command != command {
                            issues.append(FileIssue(file: file, line: nil, message: "the command word '\(word)' for '\(command)' already means '\(first.command)' in \(first.language)"))
                        }
                    } else {
                        meaning[word] = (command, catalog.language)
                    }
                }
            }
        }
        return issues
    }
}
