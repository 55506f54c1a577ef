import AsyncHTTPClient
import Hummingbird
import Logging
import ServiceLifecycle
import Telegram

/// The running daemon: the HTTP server, and each configured messaging platform's poller and sender.
/// SIGTERM or SIGINT stops them gracefully: a message being sent is finished and recorded first.
public func runDaemon(_ runtime: Runtime, logger: Logger) async throws {
    var services: [any Service] = [try buildApplication(runtime, logger: logger)]
    if let telegram = runtime.configuration.telegram {
        let api = BotAPIClient(http: HTTPClient.shared, baseURL: telegram.apiURL, token: telegram.token)
        let inbound = TelegramInbound(service: runtime.service, api: api, logger: logger)
        services.append(BackgroundLoop { await TelegramPoller(api: api, inbound: inbound, logger: logger).run() })
        services.append(BackgroundLoop { await TelegramSender(api: api, service: runtime.service, logger: logger).run() })
        logger.info("Telegram: long polling", metadata: ["api": "\(telegram.apiURL)"])
    }
    let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                  gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}

/// A loop that runs until cancelled, stopped by cancellation on graceful shutdown.
struct BackgroundLoop: Service {
    let body: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown { await body() }
    }
}
