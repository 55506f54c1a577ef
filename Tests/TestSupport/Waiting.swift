import Synchronization

/// A condition a test waited for that did not come in time, and where the test waited for it.
public struct ConditionNotMet: Error, CustomStringConvertible {
    public let timeout: Duration
    public let file: String
    public let line: Int
    public var description: String { "condition at \(file):\(line) not met within \(timeout)" }
}

/// Waits (polling every 20 ms) until `condition` holds, for what the daemon does just after something a test can see,
/// such as a metric counted after its row was stored; throws when it does not within `timeout`.
public func waitUntil(timeout: Duration = .seconds(30), file: String = #fileID, line: Int = #line, _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw ConditionNotMet(timeout: timeout, file: file, line: line) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// A chat's place in what a fake platform sent it: each wait returns the first message after those already taken
/// that matches, and moves the place past it. The platform harnesses (Telegram, WhatsApp, SMS, Matrix) share it.
public final class ReadPosition: Sendable {
    private let taken = Mutex(0)

    public init() {}

    /// Polls `messages` (this chat's, oldest first) every 10 ms; nil when none matches within `timeout`.
    public func next<Sent>(in messages: () -> [Sent], timeout: Duration, matching matches: (Sent) -> Bool) async throws -> Sent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let mine = messages()
            let start = taken.withLock { $0 }
            if let index = mine.indices.dropFirst(start).first(where: { matches(mine[$0]) }) {
                taken.withLock { $0 = index + 1 }
                return mine[index]
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}

/// The number a text gives `label` in its numbered choices ("2. Dinsdag …" → "2"), as SMS and Matrix show them.
public func numberedChoice(_ label: String, in body: String) -> String? {
    for line in body.split(separator: "\n") {
        let parts = line.split(separator: " ", maxSplits: 1)
        if parts.count == 2, parts[0].hasSuffix("."), parts[1] == label { return String(parts[0].dropLast()) }
    }
    return nil
}
