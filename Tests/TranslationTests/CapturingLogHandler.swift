import Logging
import Synchronization

/// Every line logged, message and metadata as one text, to look for what must never be there.
final class CapturedLog: Sendable {
    private let lines = Mutex<[(level: Logger.Level, text: String, metadata: [String: String])]>([])

    var logger: Logger {
        var logger = Logger(label: "translation-test") { _ in CapturingLogHandler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    var all: [(level: Logger.Level, text: String, metadata: [String: String])] { lines.withLock { $0 } }

    fileprivate func append(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) {
        let values = metadata.mapValues { "\($0)" }
        let text = ([message] + values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
        lines.withLock { $0.append((level, text, values)) }
    }
}

private struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        log.append(event.level, "\(event.message)", metadata.merging(event.metadata ?? [:]) { _, new in new })
    }
}
