import Foundation
import Yams

/// A YAML file parsed into nodes that remember their line, with readers that collect every problem
/// (wrong type, missing key, unknown key) as a `FileIssue` instead of stopping at the first.
public final class YAMLFile {
    public let path: String
    public let root: Node
    public private(set) var issues: [FileIssue] = []

    /// Parses `text`; a syntax error becomes a thrown `FileIssue` with the line libyaml reported.
    public init(path: String, text: String) throws(FileIssue) {
        self.path = path
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw FileIssue(file: path, line: 1, message: "the file is empty")
            }
            root = node
        } catch let issue as FileIssue {
            throw issue
        } catch let error as YamlError {
            throw FileIssue(file: path, line: Self.line(of: error), message: "not valid YAML: \(Self.summary(of: error))")
        } catch {
            throw FileIssue(file: path, line: nil, message: "not valid YAML: \(error)")
        }
    }

    /// Reads a file from disk; unreadable or non-UTF-8 files are reported, not crashed on.
    public convenience init(contentsOf url: URL) throws(FileIssue) {
        try self.init(path: url.path, text: try TextFile.read(url))
    }

    public func report(_ message: String, at node: Node?) {
        issues.append(FileIssue(file: path, line: node?.mark?.line, message: message))
    }

    public func report(_ message: String, line: Int?) {
        issues.append(FileIssue(file: path, line: line, message: message))
    }

    // MARK: - Typed readers

    /// The key/value pairs of a mapping in file order, or nil (reported) when `node` is not a mapping.
    public func mapping(_ node: Node, _ what: String) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            report("\(what) must be a mapping (key: value)", at: node)
            return nil
        }
        var seen = Set<String>()
        var pairs: [(key: String, keyNode: Node, value: Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                report("\(what) has a key that is not text", at: key)
                continue
            }
            if !seen.insert(name).inserted { report("\(what) has the key '\(name)' twice", at: key) }
            pairs.append((name, key, value))
        }
        return pairs
    }

    /// A mapping as a dictionary that also reports keys outside `allowed`.
    public func fields(_ node: Node, _ what: String, allowed: Set<String>) -> [String: Node]? {
        guard let pairs = mapping(node, what) else { return nil }
        var result: [String: Node] = [:]
        for pair in pairs {
            if !allowed.contains(pair.key) {
                report("\(what) has an unknown key '\(pair.key)' (expected one of: \(allowed.sorted().joined(separator: ", ")))", at: pair.keyNode)
            }
            result[pair.key] = pair.value
        }
        return result
    }

    public func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report("\(what) must be a list", at: node)
            return nil
        }
        return Array(sequence)
    }

    public func string(_ node: Node?, _ what: String, in parent: Node? = nil) -> String? {
        guard let node else {
            report("\(what) is missing", at: parent)
            return nil
        }
        guard case .scalar(let scalar) = node else {
            report("\(what) must be text", at: node)
            return nil
        }
        return scalar.string
    }

    public func int(_ node: Node?, _ what: String, in parent: Node? = nil) -> Int? {
        guard let text = string(node, what, in: parent) else { return nil }
        guard let value = Int(text) else {
            report("\(what) must be a whole number, not '\(text)'", at: node)
            return nil
        }
        return value
    }

    public func strings(_ node: Node?, _ what: String, in parent: Node? = nil) -> [String]? {
        guard let node else {
            report("\(what) is missing", at: parent)
            return nil
        }
        guard let items = sequence(node, what) else { return nil }
        return items.compactMap { string($0, "an entry of \(what)") }
    }

    // MARK: - libyaml errors

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return nil
        }
    }

    static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        case .duplicatedKeysInMapping(let duplicates, _):
            return "a key appears twice: \(duplicates.joined(separator: ", "))"
        default:
            return "\(error)"
        }
    }
}

extension Node {
    /// The 1-based line this node starts on, when known.
    public var line: Int? { mark?.line }
}
