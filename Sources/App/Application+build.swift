import Hummingbird
import HTTPServer
import Logging

/// The daemon: HTTP server with the web chat, calendar files and health check.
/// `pollTimeout` is how long a web chat poll waits for a reply; tests shorten it.
public func buildApplication(_ runtime: Runtime, logger: Logger, pollTimeout: Duration = .seconds(25),
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
    let router = buildRouter(service: runtime.service, assets: try StaticAssets.fromBundle(), pollTimeout: pollTimeout)
    return Application(
        router: router,
        configuration: .init(address: .hostname(runtime.configuration.host, port: runtime.configuration.port), serverName: "samenspraak"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger)
}
