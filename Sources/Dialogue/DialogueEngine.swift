import Foundation
import SamenspraakCore

public struct DialogueError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Runs flows: (session, input) → (session, messages). Pure apart from the injected host, whose reads and
/// writes happen inside the caller's transaction.
public struct DialogueEngine: Sendable {
    public let flows: FlowSet
    public let renderer: any DialogueRenderer
    /// Message keys the engine itself shows; `check` makes sure they exist.
    public static let ownMessages = ["common.not_understood"]
    /// A safety net against a flow that loops without asking anything (`check` reports such loops).
    static let maximumStepsPerInput = 64

    public init(flows: FlowSet, renderer: any DialogueRenderer) {
        self.flows = flows
        self.renderer = renderer
    }

    /// Handles one input. `defaultLanguage` is used until the person has chosen a language.
    public func handle<Host: DialogueHost>(
        _ input: DialogueInput, session: inout Session, host: inout Host, defaultLanguage: String
    ) throws -> [OutboundMessage] {
        var run = Run(engine: self, defaultLanguage: defaultLanguage)
        switch input {
        case .start:
            try run.go(to: .flow(flows.entry), session: &session, host: &host)
        case .text(let raw):
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if let command = renderer.command(for: text), let flow = flows.commands[command] {
                try run.go(to: .flow(flow), session: &session, host: &host)
            } else if let (ask, waiting) = openQuestion(session) {
                if let chosen = Self.match(text, in: waiting.choices) {
                    try run.choose(chosen, ask: ask, session: &session, host: &host)
                } else if waiting.acceptsText, !text.isEmpty {
                    if let save = ask.save { session.vars[save] = .text(text) }
                    try run.go(to: ask.next ?? .end, session: &session, host: &host)
                } else {
                    try run.repeatQuestion(session: &session, host: &host)
                }
            } else {
                try run.go(to: .flow(flows.idle), session: &session, host: &host)
            }
        case .choice(let id):
            if let (flow, argument) = buttonFlow(id) {
                session.vars["argument"] = argument.map { .text($0) }
                try run.go(to: .flow(flow), session: &session, host: &host)
            } else if let (ask, waiting) = openQuestion(session), let chosen = waiting.choices.first(where: { $0.id == id }) {
                try run.choose(chosen, ask: ask, session: &session, host: &host)
            } else if openQuestion(session) != nil {
                // A button from an older message: the question has moved on.
                try run.repeatQuestion(session: &session, host: &host)
            } else {
                try run.go(to: .flow(flows.idle), session: &session, host: &host)
            }
        }
        return run.messages
    }

    /// A button that starts a command's (or a button's) flow from wherever the person is, like typing the command: for
    /// messages nobody asked for (a reminder's "move", an agreement's "klopt"), which must not depend on the question
    /// the person has open. `argument` (say which agreement) reaches the flow as the variable `argument`.
    public static func commandChoiceID(_ command: String, argument: String? = nil) -> String {
        commandPrefix + command + (argument.map { ":" + $0 } ?? "")
    }
    public static let commandPrefix = "g:"

    /// The flow and argument of a `commandChoiceID`.
    func buttonFlow(_ id: String) -> (flow: String, argument: String?)? {
        guard id.hasPrefix(Self.commandPrefix) else { return nil }
        let parts = id.dropFirst(Self.commandPrefix.count).split(separator: ":", maxSplits: 1).map(String.init)
        guard let name = parts.first, let flow = flows.commands[name] ?? flows.buttons[name] else { return nil }
        return (flow, parts.count == 2 ? parts[1] : nil)
    }

    func openQuestion(_ session: Session) -> (Ask, Session.Waiting)? {
        guard let waiting = session.waiting, let flow = session.flow.flatMap({ flows.flows[$0] }),
              let step = session.step.flatMap({ flow.steps[$0] }), case .ask(let ask) = step.kind
        else { return nil }
        return (ask, waiting)
    }

    /// A typed answer matches a choice by its number ("2", or "۲" on a Persian keyboard), or by its label ignoring case.
    static func match(_ text: String, in choices: [Session.Waiting.Presented]) -> Session.Waiting.Presented? {
        if let number = text.typedNumber, number >= 1, number <= choices.count { return choices[number - 1] }
        let folded = text.foldedForMatching
        return choices.first { $0.label.foldedForMatching == folded }
    }

    /// One input's walk through the steps, collecting messages.
    struct Run {
        let engine: DialogueEngine
        let defaultLanguage: String
        var messages: [OutboundMessage] = []

        func language(_ session: Session) -> String { session.language ?? defaultLanguage }

        mutating func say(_ key: String, _ session: Session, choices: [Choice] = []) {
            let language = language(session)
            messages.append(OutboundMessage(
                text: engine.renderer.text(key, session.vars, fallback: [:], language: language), choices: choices,
                language: language, rightToLeft: engine.renderer.isRightToLeft(language)))
        }

        mutating func choose<Host: DialogueHost>(_ chosen: Session.Waiting.Presented, ask: Ask, session: inout Session, host: inout Host) throws {
            if chosen.isOption {
                if let save = ask.save {
                    session.vars[save] = .text(String(chosen.id.dropFirst(2)))
                    session.vars[save + "_label"] = .text(chosen.label)
                }
                try go(to: ask.next ?? .end, session: &session, host: &host)
            } else if let choice = ask.choices.first(where: { "c:" + $0.id == chosen.id }) {
                try go(to: choice.next, session: &session, host: &host)
            } else {
                try repeatQuestion(session: &session, host: &host)
            }
        }

        /// "Sorry, I did not understand" and the open question again, with fresh options.
        mutating func repeatQuestion<Host: DialogueHost>(session: inout Session, host: inout Host) throws {
            say("common.not_understood", session)
            guard let step = session.step else { return }
            try go(to: .step(step), session: &session, host: &host)
        }

        mutating func go<Host: DialogueHost>(to start: Target, session: inout Session, host: inout Host) throws {
            var target = start
            session.waiting = nil
            for _ in 0..<DialogueEngine.maximumStepsPerInput {
                let flowID: String, stepID: String
                switch target {
                case .end:
                    session.flow = nil
                    session.step = nil
                    return
                case .flow(let id):
                    guard let flow = engine.flows.flows[id] else { throw DialogueError(description: "unknown flow '\(id)'") }
                    (flowID, stepID) = (id, flow.start)
                case .step(let id):
                    guard let current = session.flow else { throw DialogueError(description: "step '\(id)' outside a flow") }
                    (flowID, stepID) = (current, id)
                }
                guard let step = engine.flows.flows[flowID]?.steps[stepID] else {
                    throw DialogueError(description: "flow '\(flowID)' has no step '\(stepID)'")
                }
                session.flow = flowID
                session.step = stepID
                switch step.kind {
                case .say(let message, let next):
                    say(message, session)
                    target = next
                case .action(let name, let outcomes):
                    let outcome = try host.perform(name, session: &session)
                    guard let next = outcomes[outcome] ?? outcomes["default"] else {
                        throw DialogueError(description: "step '\(flowID).\(stepID)' does not handle outcome '\(outcome)' of '\(name)'")
                    }
                    target = next
                case .ask(let ask):
                    let language = language(session)
                    var presented: [Session.Waiting.Presented] = []
                    if let source = ask.options {
                        let options = try host.options(source, session: session)
                        if options.isEmpty {
                            target = ask.empty ?? .end
                            continue
                        }
                        presented = options.map { option in
                            let label = option.fixedLabel ?? engine.renderer.text(option.label, option.values, fallback: session.vars, language: language)
                            return .init(id: "o:" + option.id, label: label, isOption: true)
                        }
                    }
                    presented += ask.choices.map {
                        .init(id: "c:" + $0.id, label: engine.renderer.text($0.label, session.vars, fallback: [:], language: language), isOption: false)
                    }
                    session.waiting = Session.Waiting(choices: presented, acceptsText: ask.acceptsText)
                    say(ask.message, session, choices: presented.map { Choice(id: $0.id, label: $0.label) })
                    return
                }
            }
            throw DialogueError(description: "flow '\(session.flow ?? "?")' ran \(DialogueEngine.maximumStepsPerInput) steps without asking anything")
        }
    }
}
