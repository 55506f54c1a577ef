import AsyncHTTPClient
import NIOCore

extension HTTPClient {
    /// For the platforms' APIs: as `shared`, but with up to 96 connections to one host instead of 8, so a sender's
    /// concurrent sends (16 in each of 4 lanes), a long poll held open and the answers to button presses do not wait
    /// for each other's connection (on HTTP/1.1, as a local Bot API server speaks it, a connection carries one request
    /// at a time). It lives as long as the process, like `shared`.
    static let platforms: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 96)
        // No tracer is set up, yet without this every request still made a span's attributes (its URL taken apart
        // again): CPU spent for nothing on three requests per button press.
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}
