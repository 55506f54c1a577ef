import Conversations
import DataFiles
import Dialogue
import Foundation
import Localization
import SamenspraakCore

/// The data a deployment runs on: flows from `conversations/` (the teachers' in `conversations/staff/`), texts from `locales/`.
public struct Content: Sendable {
    public var flows: FlowSet
    public var staffFlows: FlowSet
    public var catalogs: [LocaleCatalog]

    /// Loads both folders and checks the flows against the texts; every problem is thrown as `FileIssues`.
    public static func loadValidated(conversations: String, locales: String) throws -> Content {
        let content = try load(conversations: URL(fileURLWithPath: conversations), locales: URL(fileURLWithPath: locales))
        let problems = content.validate()
        if !problems.isEmpty { throw FileIssues(problems) }
        return content
    }

    /// Loads both folders; syntax problems are thrown as `FileIssues` naming file and line.
    public static func load(conversations: URL, locales: URL) throws -> Content {
        var issues: [FileIssue] = []
        var flows: FlowSet?, staffFlows: FlowSet?
        do { flows = try FlowSet.load(directory: conversations) } catch let error as FileIssues { issues += error.issues }
        do { staffFlows = try FlowSet.load(directory: conversations.appendingPathComponent("staff")) } catch let error as FileIssues { issues += error.issues }
        var catalogs: [LocaleCatalog] = []
        let files = (try? FileManager.default.contentsOfDirectory(at: locales, includingPropertiesForKeys: nil)) ?? []
        if files.isEmpty { issues.append(FileIssue(file: locales.path, line: nil, message: "holds no locale files")) }
        for url in files.filter({ $0.pathExtension == "yaml" }).sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            do {
                let text = try TextFile.read(url)
                let catalog = try LocaleCatalog.load(path: url.path, text: text)
                if catalog.language != url.deletingPathExtension().lastPathComponent {
                    issues.append(FileIssue(file: url.path, line: 1, message: "declares language '\(catalog.language)' but is named \(url.lastPathComponent)"))
                }
                catalogs.append(catalog)
            } catch let error as FileIssues {
                issues += error.issues
            } catch let error as FileIssue {
                issues.append(error)
            } catch {
                issues.append(FileIssue(file: url.path, line: nil, message: "cannot be read (\(error.localizedDescription))"))
            }
        }
        if !issues.isEmpty { throw FileIssues(issues) }
        return Content(flows: flows!, staffFlows: staffFlows!, catalogs: catalogs)
    }

    /// Everything `samenspraak check` verifies beyond syntax: flows against the host and the base locale,
    /// every locale against the base (`localeCompleteness`: missing keys, placeholders unknown or left out, plural forms,
    /// command words) and command words that mean different commands in two languages.
    public func validate(baseLanguage: String = "nl") -> [FileIssue] {
        guard let base = catalogs.first(where: { $0.language == baseLanguage }) else {
            return [FileIssue(file: "locales/\(baseLanguage).yaml", line: nil, message: "the base language file is missing")]
        }
        let audiences = [(flows, SchoolHostCatalog.catalog), (staffFlows, StaffHostCatalog.catalog)]
        var issues = audiences.flatMap { flows, host in FlowValidator.validate(flows, host: host) { base.messages[$0] != nil } }

        // The base language may only use placeholders a host or the flows provide.
        let saved = audiences.flatMap { flows, _ in flows.flows.values.flatMap { $0.steps.values } }.compactMap { step -> [String]? in
            guard case .ask(let ask) = step.kind, let save = ask.save else { return nil }
            return [save, save + "_label"]
        }.flatMap { $0 }
        let known = audiences.reduce(Set(saved)) { $0.union($1.1.variables) }
        let basePath = base.path
        for key in audiences.reduce(Set<String>(), { $0.union($1.1.messages) }).sorted() where base.messages[key] == nil {
            issues.append(FileIssue(file: basePath, line: nil, message: "the message '\(key)', which the program itself shows, is missing"))
        }
        for (key, entry) in base.messages.sorted(by: { $0.key < $1.key }) {
            for name in entry.placeholders.subtracting(known).sorted() {
                issues.append(FileIssue(file: basePath, line: base.lines[key], message: "message '\(key)' uses the unknown placeholder {\(name)}"))
            }
        }
        issues += localeCompleteness(baseLanguage: baseLanguage).flatMap(\.issues)
        issues += LocaleCompleteness.conflictingKeywords(catalogs.map { ($0, $0.path) })
        for command in Set(flows.commands.keys).union(staffFlows.commands.keys).sorted() where base.keywords[command]?.isEmpty ?? true {
            issues.append(FileIssue(file: basePath, line: nil, message: "no keywords for the command '\(command)'"))
        }
        return issues
    }
}

extension Content {
    /// Per language (the base too, trivially complete), how completely it translates the base, with its gaps; in file order.
    public func localeCompleteness(baseLanguage: String = "nl") -> [LocaleCompleteness] {
        guard let base = catalogs.first(where: { $0.language == baseLanguage }) else { return [] }
        return catalogs.map { LocaleCompleteness($0, base: base, file: $0.path, baseFile: base.path) }
    }
}

extension LocaleCatalog {
    /// The file it was read from, as `check` names it.
    var path: String { file.isEmpty ? "locales/\(language).yaml" : file }
}
