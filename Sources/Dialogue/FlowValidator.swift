import DataFiles

/// Checks a flow set for references that point nowhere, unhandled outcomes, unknown message keys,
/// steps that can dead-end and loops that never wait for the person. Every finding names file and line.
public enum FlowValidator {
    public static func validate(_ set: FlowSet, host: HostCatalog, messageExists: (String) -> Bool) -> [FileIssue] {
        var issues: [FileIssue] = []
        func flowExists(_ id: String) -> Bool { set.flows[id] != nil }

        for (name, id) in [("entry", set.entry), ("idle", set.idle)] where !flowExists(id) {
            issues.append(FileIssue(file: set.commandsFile, line: nil, message: "'\(name)' names the flow '\(id)', which does not exist"))
        }
        for (command, flow) in set.commands.sorted(by: { $0.key < $1.key }) where !flowExists(flow) {
            issues.append(FileIssue(file: set.commandsFile, line: set.commandLines[command], message: "command '\(command)' starts the flow '\(flow)', which does not exist"))
        }
        for (button, flow) in set.buttons.sorted(by: { $0.key < $1.key }) where !flowExists(flow) {
            issues.append(FileIssue(file: set.commandsFile, line: set.commandLines["button " + button], message: "button '\(button)' starts the flow '\(flow)', which does not exist"))
        }
        for key in DialogueEngine.ownMessages where !messageExists(key) {
            issues.append(FileIssue(file: set.commandsFile, line: nil, message: "the engine needs the message '\(key)', which the base locale lacks"))
        }

        for flow in set.flows.values.sorted(by: { $0.id < $1.id }) {
            func report(_ message: String, _ line: Int?) { issues.append(FileIssue(file: flow.file, line: line, message: message)) }
            if flow.steps[flow.start] == nil { report("'start' names the step '\(flow.start)', which does not exist", flow.line) }

            for step in flow.steps.values.sorted(by: { ($0.line ?? 0) < ($1.line ?? 0) }) {
                for target in step.targets {
                    switch target {
                    case .step(let id) where flow.steps[id] == nil:
                        report("step '\(step.id)' points to '\(id)', which is not a step of this flow", step.line)
                    case .flow(let id) where !flowExists(id):
                        report("step '\(step.id)' points to the flow '\(id)', which does not exist", step.line)
                    default: break
                    }
                }
                for key in step.messages where !messageExists(key) {
                    report("step '\(step.id)' shows the message '\(key)', which the base locale lacks", step.line)
                }
                switch step.kind {
                case .say: break
                case .ask(let ask):
                    if let source = ask.options {
                        if !host.optionSources.contains(source) { report("step '\(step.id)' offers options from '\(source)', which the host does not know", step.line) }
                        if ask.empty == nil { report("step '\(step.id)' offers options but says nothing about 'empty' (when there are none)", step.line) }
                        if ask.next == nil { report("step '\(step.id)' offers options but has no 'next'", step.line) }
                    }
                    if ask.acceptsText, ask.next == nil { report("step '\(step.id)' accepts text but has no 'next'", step.line) }
                    if (ask.options != nil || ask.acceptsText), ask.save == nil, ask.options != nil {
                        report("step '\(step.id)' offers options but does not 'save' the answer", step.line)
                    }
                    if ask.options == nil, !ask.acceptsText, ask.choices.isEmpty {
                        report("step '\(step.id)' asks a question that cannot be answered (no options, choices or text)", step.line)
                    }
                case .action(let name, let outcomes):
                    guard let known = host.actions[name] else {
                        report("step '\(step.id)' runs '\(name)', which the host does not know", step.line)
                        continue
                    }
                    for outcome in outcomes.keys.sorted() where outcome != "default" && !known.contains(outcome) {
                        report("step '\(step.id)' handles outcome '\(outcome)', which '\(name)' never reports", step.line)
                    }
                    if outcomes["default"] == nil {
                        for outcome in known.sorted() where outcomes[outcome] == nil {
                            report("step '\(step.id)' does not handle outcome '\(outcome)' of '\(name)'", step.line)
                        }
                    }
                }
            }
            issues += deadEnds(in: flow)
        }
        return issues
    }

    /// Steps reachable from the start from which no path leads to an end or another flow, unreachable steps,
    /// and loops of `say`/`do` steps that would run forever without waiting for the person.
    static func deadEnds(in flow: Flow) -> [FileIssue] {
        var issues: [FileIssue] = []
        var reachable: Set<String> = []
        var queue = [flow.start]
        while let id = queue.popLast() {
            guard let step = flow.steps[id], reachable.insert(id).inserted else { continue }
            for case .step(let next) in step.targets { queue.append(next) }
        }
        var canFinish: Set<String> = []
        var changed = true
        while changed {
            changed = false
            for step in flow.steps.values where !canFinish.contains(step.id) {
                let finishes = step.targets.contains {
                    switch $0 {
                    case .end, .flow: return true
                    case .step(let next): return canFinish.contains(next)
                    }
                }
                if finishes {
                    canFinish.insert(step.id)
                    changed = true
                }
            }
        }
        for step in flow.steps.values.sorted(by: { ($0.line ?? 0) < ($1.line ?? 0) }) {
            if !reachable.contains(step.id) {
                issues.append(FileIssue(file: flow.file, line: step.line, message: "step '\(step.id)' is never reached from '\(flow.start)'"))
            } else if !canFinish.contains(step.id) {
                issues.append(FileIssue(file: flow.file, line: step.line, message: "step '\(step.id)' can dead-end: no path from it reaches 'end' or another flow"))
            }
        }
        // Loops without a question: depth-first search over say/do steps only.
        var state: [String: Int] = [:]  // 1 = on the current path, 2 = done
        func visit(_ id: String, path: [String]) {
            guard let step = flow.steps[id] else { return }
            if case .ask = step.kind { return }
            if state[id] == 1 {
                let loop = path.drop { $0 != id } + [id]
                issues.append(FileIssue(file: flow.file, line: step.line, message: "steps \(loop.joined(separator: " → ")) loop without waiting for the person"))
                return
            }
            guard state[id] == nil else { return }
            state[id] = 1
            for case .step(let next) in step.targets { visit(next, path: path + [id]) }
            state[id] = 2
        }
        for id in flow.steps.keys.sorted() { visit(id, path: []) }
        return issues
    }
}
