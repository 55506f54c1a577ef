import DataFiles
import Foundation
import Yams

/// All flows of a deployment plus the global commands that jump into them.
///
/// `conversations/commands.yaml` maps each command to the flow it starts; the words that trigger a command
/// live in the locales, so "afzeggen", "cancel" and "إلغاء" all reach `flow: cancel`:
/// ```yaml
/// entry: welcome      # first flow of a new conversation
/// idle: menu          # flow shown when a person writes outside any question
/// commands: { cancel: cancel, move: move, help: help, language: language, stop: stop, start: start }
/// buttons: { agreement_matches: agreement_matches }   # flows only the buttons of school messages start
/// ```
/// A button of a message nobody asked for (a reminder, an agreement to confirm) starts a command's or a button's
/// flow from wherever the person is, and may carry an argument (which agreement) in `argument`.
public struct FlowSet: Sendable {
    public var flows: [String: Flow]
    public var entry: String
    public var idle: String
    public var commands: [String: String]
    public var buttons: [String: String]
    /// Where `commands` came from, for diagnostics.
    public var commandsFile: String
    public var commandLines: [String: Int]

    public init(flows: [Flow], entry: String, idle: String, commands: [String: String], buttons: [String: String] = [:],
                commandsFile: String = "commands.yaml", commandLines: [String: Int] = [:]) {
        self.flows = Dictionary(flows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.entry = entry
        self.idle = idle
        self.commands = commands
        self.buttons = buttons
        self.commandsFile = commandsFile
        self.commandLines = commandLines
    }

    /// Loads every `*.yaml` in `directory`; `commands.yaml` is the command table, every other file one flow.
    /// Throws `FileIssues` listing every syntax problem; references are checked by `FlowValidator`.
    public static func load(directory: URL) throws -> FlowSet {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "yaml" || $0.pathExtension == "yml" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw FileIssues([FileIssue(file: directory.path, line: nil, message: "cannot list the conversations folder (\(error.localizedDescription))")])
        }
        var issues: [FileIssue] = []
        var flows: [Flow] = []
        var entry = "", idle = "", commands: [String: String] = [:], buttons: [String: String] = [:], commandLines: [String: Int] = [:]
        var commandsFile = directory.appendingPathComponent("commands.yaml").path
        var sawCommands = false
        for url in files {
            let file: YAMLFile
            do { file = try YAMLFile(contentsOf: url) } catch {
                issues.append(error)
                continue
            }
            if url.deletingPathExtension().lastPathComponent == "commands" {
                sawCommands = true
                commandsFile = url.path
                if let top = file.fields(file.root, "the commands file", allowed: ["entry", "idle", "commands", "buttons"]) {
                    entry = file.string(top["entry"], "'entry'", in: file.root) ?? ""
                    idle = file.string(top["idle"], "'idle'", in: file.root) ?? ""
                    if let node = top["commands"], let pairs = file.mapping(node, "'commands'") {
                        for pair in pairs {
                            commands[pair.key] = file.string(pair.value, "command '\(pair.key)'")
                            commandLines[pair.key] = pair.keyNode.line
                        }
                    }
                    if let node = top["buttons"], let pairs = file.mapping(node, "'buttons'") {
                        for pair in pairs {
                            if pair.key.contains(":") { file.report("a button name cannot contain ':'", at: pair.keyNode) }
                            buttons[pair.key] = file.string(pair.value, "button '\(pair.key)'")
                            commandLines["button " + pair.key] = pair.keyNode.line
                        }
                    }
                }
            } else if let flow = Flow.parse(file) {
                let stem = url.deletingPathExtension().lastPathComponent
                if flow.id != stem { file.report("the flow is called '\(flow.id)' but the file '\(stem)'; they must match", at: file.root["flow"]) }
                flows.append(flow)
            }
            issues += file.issues
        }
        if !sawCommands { issues.append(FileIssue(file: commandsFile, line: nil, message: "is missing")) }
        if !issues.isEmpty { throw FileIssues(issues) }
        return FlowSet(flows: flows, entry: entry, idle: idle, commands: commands, buttons: buttons, commandsFile: commandsFile, commandLines: commandLines)
    }
}
