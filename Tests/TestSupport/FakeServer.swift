import Hummingbird
import Logging
import ServiceLifecycle

/// Serves `router` on 127.0.0.1 at a free port while `body` runs, then stops gracefully: requests under way are
/// answered and connections closed. The fake platform and provider servers of the tests run this way. (Cancelling a
/// Hummingbird server's task instead can trap in NIO when a connection was just accepted: "Deinited NIOAsyncWriter
/// without calling finish()", apple/swift-nio#2637.)
public func serving<T: Sendable>(_ router: Router<BasicRequestContext>, label: String, _ body: (_ port: Int) async throws -> T) async throws -> T {
    var logger = Logger(label: label)
    logger.logLevel = .critical
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    let server = Task {
        defer { portContinuation.finish() }
        try await group.run()
    }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        _ = try await server.value
        throw CancellationError()
    }
    let result: Result<T, any Error>
    do { result = .success(try await body(port)) } catch { result = .failure(error) }
    await group.triggerGracefulShutdown()
    _ = await server.result
    return try result.get()
}

extension Response {
    /// A JSON body with its content type, as the fake servers answer.
    public static func json(_ text: String, _ status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
