import App
import HummingbirdTesting
import Logging

/// The daemon's HTTP side for `school` on 127.0.0.1 (an ephemeral port; `client.port` tells which) while `body` runs.
public func withLiveServer(_ school: TestSchool, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    var logger = Logger(label: "e2e")
    logger.logLevel = .critical
    let app = try buildApplication(school.runtime, logger: logger, pollTimeout: .milliseconds(300))
    try await app.test(.live) { client in try await body(client) }
}
