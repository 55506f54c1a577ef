import DataFiles
import Foundation
import Logging

/// The commands' logger, from `LOG_LEVEL` (default info) and `LOG_FORMAT`: `text` (the default, swift-log's line
/// with `key=value` metadata) or `json` (one object per line, for journald's or a log collector's fields). A wrong
/// value stops the command with what is allowed, like every other setting.
public enum LogSetup {
    public static func logger(label: String = "samenspraak",
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws(FileIssues) -> Logger {
        var issues: [FileIssue] = []
        var level = Logger.Level.info
        if let text = environment["LOG_LEVEL"], !text.isEmpty {
            if let parsed = Logger.Level(rawValue: text.lowercased()) { level = parsed } else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                issues.append(FileIssue(file: "LOG_LEVEL", line: nil, message: "must be one of \(levels), not \"\(text)\""))
            }
        }
        var json = false
        switch environment["LOG_FORMAT"] ?? "" {
        case "", "text": break
        case "json": json = true
        case let other: issues.append(FileIssue(file: "LOG_FORMAT", line: nil, message: "must be text or json, not \"\(other)\""))
        }
        if !issues.isEmpty { throw FileIssues(issues) }
        var logger = json ? Logger(label: label) { JSONLogHandler(label: $0) } : Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// One JSON object per line on stderr: time, level, label, message and every metadata key as a field.
struct JSONLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    /// Where the lines go; tests read them.
    var write: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: Any] = metadata.merging(event.metadata ?? [:]) { _, new in new }.mapValues(Self.json)
        fields["time"] = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        write(String(decoding: data, as: UTF8.self))
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let value): value.description
        case .array(let values): values.map(json)
        case .dictionary(let values): values.mapValues(json)
        }
    }
}
