import DataFiles
import Foundation
import Yams

/// The optional YAML configuration file (`--config samenspraak.yaml`): one `key: value` per setting, flat, with the
/// line each came from. Unknown keys, lists or mappings as values, empty values and secrets written inline are
/// `file:line` problems, kept with the values that were fine so the loader can report everything at once.
public struct ConfigurationFile: Sendable {
    public let path: String
    /// Each setting's text as written, with its line.
    public let values: [Setting: (text: String, line: Int?)]
    public let issues: [FileIssue]

    public static func load(path: String) -> ConfigurationFile {
        let file: YAMLFile
        do { file = try YAMLFile(path: path, text: try TextFile.read(URL(fileURLWithPath: path))) } catch {
            return ConfigurationFile(path: path, values: [:], issues: [error])
        }
        var values: [Setting: (text: String, line: Int?)] = [:]
        for (key, keyNode, value) in file.mapping(file.root, "the configuration") ?? [] {
            guard let setting = Setting(rawValue: key) else {
                file.report(unknownKey(key), at: keyNode)
                continue
            }
            guard case .scalar(let scalar) = value else {
                file.report("\(key) must be a single value, not a list or a mapping", at: value)
                continue
            }
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                file.report("\(key) has no value (leave the line out for the default)", at: keyNode)
                continue
            }
            values[setting] = (scalar.string, keyNode.line)
        }
        return ConfigurationFile(path: path, values: values, issues: file.issues)
    }

    static func unknownKey(_ key: String) -> String {
        if let secret = Secret.all.first(where: { $0.name == key }) {
            return "\(key) is a secret and is not read from the configuration file: set \(secret.environmentVariable) in the environment, "
                + "or name a file that holds it with \(secret.file.key)"
        }
        if let suggestion = Setting.closest(to: key, among: Setting.allCases.map(\.key)) { return "unknown key \"\(key)\" (did you mean \"\(suggestion)\"?)" }
        return "unknown key \"\(key)\"; the keys are: \(Setting.allCases.map(\.key).joined(separator: ", "))"
    }
}
