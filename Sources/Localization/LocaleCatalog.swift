import DataFiles
import Foundation
import SamenspraakCore
import Yams

/// One language's texts, loaded from `locales/<lang>.yaml`.
///
/// ```yaml
/// language: nl
/// name: Nederlands
/// direction: ltr            # rtl for Arabic and Farsi
/// formats: { day: "EEEE d MMMM", time: "HH:mm" }
/// keywords: { help: [help, hulp] }
/// messages:
///   booking:
///     confirmed: "Gelukt! {child} heeft een gesprek op {day} om {time}."
///     free_times: { one: "Nog {count} tijd vrij", other: "Nog {count} tijden vrij" }
/// ```
public struct LocaleCatalog: Sendable {
    public enum Entry: Sendable, Equatable {
        case text(Template)
        case plural([PluralCategory: Template])

        public var placeholders: Set<String> {
            switch self {
            case .text(let template): return template.placeholders
            case .plural(let forms): return forms.values.reduce(into: ["count"]) { $0.formUnion($1.placeholders) }
            }
        }
    }

    public var language: String
    /// The language's own name, shown in the language menu ("العربية").
    public var name: String
    public var rightToLeft: Bool
    public var dayFormat: String
    public var timeFormat: String
    public var messages: [String: Entry]
    /// Command name → words that trigger it when typed alone ("afzeggen" → cancel).
    public var keywords: [String: [String]]
    /// Line of each message key in the file, for `check`.
    public var lines: [String: Int]
    /// The file it was read from (empty when made in code), for `check`.
    public var file: String

    public init(language: String, name: String, rightToLeft: Bool, dayFormat: String, timeFormat: String,
                messages: [String: Entry], keywords: [String: [String]], lines: [String: Int] = [:], file: String = "") {
        self.language = language
        self.name = name
        self.rightToLeft = rightToLeft
        self.dayFormat = dayFormat
        self.timeFormat = timeFormat
        self.messages = messages
        self.keywords = keywords
        self.lines = lines
        self.file = file
    }

    /// Reads a locale file; every problem in it is collected and thrown together.
    public static func load(path: String, text: String) throws -> LocaleCatalog {
        let file = try YAMLFile(path: path, text: text)
        let catalog = parse(file)
        if !file.issues.isEmpty { throw FileIssues(file.issues) }
        return catalog!
    }

    static func parse(_ file: YAMLFile) -> LocaleCatalog? {
        guard let top = file.fields(file.root, "the locale file", allowed: ["language", "name", "direction", "formats", "keywords", "messages"])
        else { return nil }
        let language = file.string(top["language"], "'language'", in: file.root) ?? "?"
        let name = file.string(top["name"], "'name'", in: file.root) ?? language
        var rightToLeft = false
        if let direction = top["direction"].flatMap({ file.string($0, "'direction'") }) {
            switch direction {
            case "ltr": rightToLeft = false
            case "rtl": rightToLeft = true
            default: file.report("'direction' must be ltr or rtl, not '\(direction)'", at: top["direction"])
            }
        }
        var dayFormat = "EEEE d MMMM"
        var timeFormat = "HH:mm"
        if let formatsNode = top["formats"], let formats = file.fields(formatsNode, "'formats'", allowed: ["day", "time"]) {
            dayFormat = formats["day"].flatMap { file.string($0, "'formats.day'") } ?? dayFormat
            timeFormat = formats["time"].flatMap { file.string($0, "'formats.time'") } ?? timeFormat
        }
        var keywords: [String: [String]] = [:]
        if let node = top["keywords"], let pairs = file.mapping(node, "'keywords'") {
            for pair in pairs {
                keywords[pair.key] = file.strings(pair.value, "'keywords.\(pair.key)'")?.map(\.foldedForMatching)
            }
        }
        var messages: [String: Entry] = [:]
        var lines: [String: Int] = [:]
        if let node = top["messages"] {
            collect(node, prefix: "", file: file, into: &messages, lines: &lines)
        } else {
            file.report("'messages' is missing", at: file.root)
        }
        return LocaleCatalog(language: language, name: name, rightToLeft: rightToLeft, dayFormat: dayFormat, timeFormat: timeFormat,
                             messages: messages, keywords: keywords, lines: lines, file: file.path)
    }

    /// Flattens nested mappings into dotted keys; a mapping whose keys are all plural categories is one plural entry.
    static func collect(_ node: Node, prefix: String, file: YAMLFile, into messages: inout [String: Entry], lines: inout [String: Int]) {
        switch node {
        case .scalar(let scalar):
            lines[prefix] = node.line
            do { messages[prefix] = .text(try Template(parsing: scalar.string)) } catch {
                file.report("message '\(prefix)': \(error.message)", at: node)
            }
        case .mapping:
            guard let pairs = file.mapping(node, prefix.isEmpty ? "'messages'" : "'\(prefix)'") else { return }
            if !pairs.isEmpty, !prefix.isEmpty, pairs.allSatisfy({ PluralCategory(rawValue: $0.key) != nil }) {
                lines[prefix] = node.line
                var forms: [PluralCategory: Template] = [:]
                for pair in pairs {
                    guard let text = file.string(pair.value, "plural form '\(prefix).\(pair.key)'") else { continue }
                    do { forms[PluralCategory(rawValue: pair.key)!] = try Template(parsing: text) } catch {
                        file.report("message '\(prefix).\(pair.key)': \(error.message)", at: pair.value)
                    }
                }
                if forms[.other] == nil { file.report("plural message '\(prefix)' has no 'other' form", at: node) }
                messages[prefix] = .plural(forms)
            } else {
                for pair in pairs {
                    collect(pair.value, prefix: prefix.isEmpty ? pair.key : "\(prefix).\(pair.key)", file: file, into: &messages, lines: &lines)
                }
            }
        default:
            file.report("message '\(prefix)' must be text or a mapping", at: node)
        }
    }
}
