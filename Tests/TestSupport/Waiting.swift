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
