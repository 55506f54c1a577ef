import DataFiles
import Yams

/// Where a step leads: another step of the same flow, the start of another flow, or the end of the conversation turn.
public enum Target: Sendable, Equatable, Hashable, CustomStringConvertible {
    case step(String)
    case flow(String)
    case end

    init(_ text: String) {
        if text == "end" { self = .end } else if text.hasPrefix("flow:") { self = .flow(String(text.dropFirst(5))) } else { self = .step(text) }
    }

    public var description: String {
        switch self {
        case .step(let id): return id
        case .flow(let id): return "flow:\(id)"
        case .end: return "end"
        }
    }
}

/// A button defined in the flow itself ("skip", "back").
public struct StaticChoice: Sendable, Equatable {
    public var id: String
    public var label: String
    public var next: Target
    public var line: Int?
}

/// A question: shows `message` with the host's `options` and/or static `choices`, or accepts free `text`.
public struct Ask: Sendable, Equatable {
    public var message: String
    /// Name of a host option source ("free_days"); the chosen option's id is saved in `save`.
    public var options: String?
    /// Where to go when the option source has nothing to offer.
    public var empty: Target?
    /// Whether free text is accepted as the answer (saved in `save`).
    public var acceptsText: Bool
    public var save: String?
    public var next: Target?
    public var choices: [StaticChoice]
}

public enum StepKind: Sendable, Equatable {
    /// Sends a message and continues.
    case say(message: String, next: Target)
    /// Waits for the person.
    case ask(Ask)
    /// Runs a host action and follows the outcome it reports ("ok", "taken"…); `default` catches the rest.
    case action(name: String, outcomes: [String: Target])
}

public struct Step: Sendable, Equatable {
    public var id: String
    public var kind: StepKind
    public var line: Int?

    /// Every target this step can lead to.
    public var targets: [Target] {
        switch kind {
        case .say(_, let next): return [next]
        case .ask(let ask): return [ask.next, ask.empty].compactMap { $0 } + ask.choices.map(\.next)
        case .action(_, let outcomes): return outcomes.keys.sorted().compactMap { outcomes[$0] }
        }
    }

    /// Every message key this step shows.
    public var messages: [String] {
        switch kind {
        case .say(let message, _): return [message]
        case .ask(let ask): return [ask.message] + ask.choices.map(\.label)
        case .action: return []
        }
    }
}

/// A dialogue flow, one per file in `conversations/`:
///
/// ```yaml
/// flow: cancel
/// start: pick
/// steps:
///   pick:
///     ask: cancel.which_talk
///     options: active_bookings
///     save: booking
///     empty: flow:menu          # a step id, flow:<id> or end
///     next: confirm
///     choices: [{ id: back, label: common.back, next: flow:menu }]
///   confirm:
///     do: cancel_booking
///     on: { ok: done, default: flow:menu }
///   done:
///     say: cancel.done
///     next: end
/// ```
public struct Flow: Sendable, Equatable {
    public var id: String
    public var start: String
    public var steps: [String: Step]
    public var file: String
    public var line: Int?

    public init(id: String, start: String, steps: [String: Step], file: String = "", line: Int? = nil) {
        self.id = id
        self.start = start
        self.steps = steps
        self.file = file
        self.line = line
    }

    /// Parses one flow file; syntax problems are collected in `file.issues`, references are checked by `FlowValidator`.
    public static func parse(_ file: YAMLFile) -> Flow? {
        guard let top = file.fields(file.root, "the flow file", allowed: ["flow", "start", "steps"]) else { return nil }
        let id = file.string(top["flow"], "'flow'", in: file.root) ?? ""
        let start = file.string(top["start"], "'start'", in: file.root) ?? ""
        var steps: [String: Step] = [:]
        if let stepsNode = top["steps"], let pairs = file.mapping(stepsNode, "'steps'") {
            for pair in pairs {
                if var step = parseStep(pair.key, pair.value, file) {
                    step.line = pair.keyNode.line
                    steps[pair.key] = step
                }
            }
        } else if top["steps"] == nil {
            file.report("'steps' is missing", at: file.root)
        }
        return Flow(id: id, start: start, steps: steps, file: file.path, line: file.root.line)
    }

    static let stepKeys: Set<String> = ["say", "ask", "do", "next", "options", "empty", "text", "save", "choices", "on"]

    static func parseStep(_ id: String, _ node: Node, _ file: YAMLFile) -> Step? {
        guard let fields = file.fields(node, "step '\(id)'", allowed: stepKeys) else { return nil }
        func target(_ key: String) -> Target? { fields[key].flatMap { file.string($0, "'\(key)' of step '\(id)'") }.map(Target.init) }
        let kinds = ["say", "ask", "do"].filter { fields[$0] != nil }
        guard kinds.count == 1 else {
            file.report("step '\(id)' must have exactly one of 'say', 'ask' or 'do'", at: node)
            return nil
        }
        switch kinds[0] {
        case "say":
            guard let message = file.string(fields["say"], "'say' of step '\(id)'") else { return nil }
            guard let next = target("next") else {
                file.report("step '\(id)' says something but has no 'next'", at: node)
                return nil
            }
            return Step(id: id, kind: .say(message: message, next: next), line: node.line)
        case "ask":
            guard let message = file.string(fields["ask"], "'ask' of step '\(id)'") else { return nil }
            var acceptsText = false
            if let textNode = fields["text"] {
                guard let flag = textNode.bool else {
                    file.report("'text' of step '\(id)' must be true or false", at: textNode)
                    return nil
                }
                acceptsText = flag
            }
            var choices: [StaticChoice] = []
            if let choicesNode = fields["choices"], let items = file.sequence(choicesNode, "'choices' of step '\(id)'") {
                for item in items {
                    guard let choice = file.fields(item, "a choice of step '\(id)'", allowed: ["id", "label", "next"]),
                          let choiceID = file.string(choice["id"], "'id' of a choice of step '\(id)'", in: item),
                          let label = file.string(choice["label"], "'label' of choice '\(choiceID)'", in: item),
                          let next = file.string(choice["next"], "'next' of choice '\(choiceID)'", in: item)
                    else { continue }
                    choices.append(StaticChoice(id: choiceID, label: label, next: Target(next), line: item.line))
                }
            }
            let ask = Ask(
                message: message, options: fields["options"].flatMap { file.string($0, "'options' of step '\(id)'") },
                empty: target("empty"), acceptsText: acceptsText,
                save: fields["save"].flatMap { file.string($0, "'save' of step '\(id)'") }, next: target("next"), choices: choices)
            return Step(id: id, kind: .ask(ask), line: node.line)
        default:
            guard let name = file.string(fields["do"], "'do' of step '\(id)'") else { return nil }
            var outcomes: [String: Target] = [:]
            if let onNode = fields["on"], let pairs = file.mapping(onNode, "'on' of step '\(id)'") {
                for pair in pairs {
                    if let text = file.string(pair.value, "outcome '\(pair.key)' of step '\(id)'") { outcomes[pair.key] = Target(text) }
                }
            }
            if let next = target("next") { outcomes["default"] = next }
            if outcomes.isEmpty { file.report("step '\(id)' runs '\(name)' but has no 'on' or 'next'", at: node) }
            return Step(id: id, kind: .action(name: name, outcomes: outcomes), line: node.line)
        }
    }
}
