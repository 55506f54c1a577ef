import AsyncHTTPClient
import Conversations
import Hummingbird
import Logging
import Matrix
import ServiceLifecycle
import SMS
import Telegram
import WhatsApp

/// The running daemon: the HTTP server, the job scheduler (reminders, nudges), the nightly purge of old messages, and
/// each configured messaging platform's poller (or webhook) and sender.
/// SIGTERM or SIGINT stops them gracefully: a message being sent is finished and recorded first.
public func runDaemon(_ runtime: Runtime, logger: Logger) async throws {
    let school = SchoolServices(runtime, logger: logger)
    let application = try buildApplication(runtime, logger: logger, telegramWebhook: school.telegramWebhook, whatsappWebhook: school.whatsappWebhook,
                                           smsWebhook: school.smsWebhook)
    try await runServices([application] + school.services, logger: logger)
}

/// A school board's daemon: every school's background work as in `runDaemon`, each logging with its id, and one HTTP
/// server that hands each request to the school its Host header names.
public func runBoard(_ schools: [(school: Board.School, runtime: Runtime)], host: String, port: Int, logger: Logger) async throws {
    var services: [any Service] = []
    var routes: [BoardRoute] = []
    for (school, runtime) in schools {
        var schoolLogger = logger
        schoolLogger[metadataKey: "school"] = "\(school.id)"
        let work = SchoolServices(runtime, logger: schoolLogger)
        services += work.services
        routes.append(BoardRoute(id: school.id, hostName: school.hostName, runtime: runtime,
                                 router: try buildSchoolRouter(runtime, logger: schoolLogger, telegramWebhook: work.telegramWebhook,
                                                               whatsappWebhook: work.whatsappWebhook, smsWebhook: work.smsWebhook)))
        schoolLogger.info("School", metadata: ["host": "\(school.hostName)", "database": "\(runtime.configuration.databaseLocation)"])
    }
    try await runServices([buildBoardApplication(routes, host: host, port: port, logger: logger)] + services, logger: logger)
}

private func runServices(_ services: [any Service], logger: Logger) async throws {
    let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                  gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}

/// One school's background work, and the webhooks its HTTP routes hand the platforms' requests to.
struct SchoolServices {
    var services: [any Service] = []
    var telegramWebhook: TelegramWebhook?
    var whatsappWebhook: WhatsAppWebhook?
    var smsWebhook: TwilioWebhook?

    init(_ runtime: Runtime, logger: Logger) {
        services.append(BackgroundLoop { await JobScheduler(service: runtime.service, logger: logger).run() })
        services.append(BackgroundLoop { await MessagePurge.daily(runtime, logger: logger) })
        let leases = runtime.database.leases
        // What the other daemons on the database committed for someone waiting here (nothing to hear on SQLite).
        services.append(BackgroundLoop { await runtime.service.hearOtherDaemons() })
        if runtime.translator != nil {
            // One place only: two daemons would translate, and relay, each message twice.
            services.append(BackgroundLoop {
                await LeasedWork("translations", leases: leases, logger: logger).run { await runtime.service.runTranslations(logger: logger) }
            })
        }
        if let telegram = runtime.configuration.telegram {
            let api = BotAPIClient(http: HTTPClient.platforms, baseURL: telegram.apiURL, token: telegram.token)
            let sender = TelegramSender(api: api, service: runtime.service, limits: telegram.limits, logger: logger)
            let inbound = TelegramInbound(service: runtime.service, api: api, replies: sender, logger: logger)
            switch telegram.mode {
            case .polling:
                // Telegram answers one getUpdates per bot at a time.
                services.append(BackgroundLoop {
                    await LeasedWork("telegram", leases: leases, logger: logger).run { await TelegramPoller(api: api, inbound: inbound, logger: logger).run() }
                })
            case .webhook:
                let receiver = TelegramWebhook(api: api, inbound: inbound, logger: logger)
                let url = runtime.configuration.publicURL + TelegramWebhook.path
                services.append(BackgroundLoop { await receiver.register(url: url) })
                telegramWebhook = receiver
            }
            services.append(BackgroundLoop { await sender.run() })
            logger.info("Telegram", metadata: ["mode": "\(telegram.mode.rawValue)", "api": "\(telegram.apiURL)"])
        }
        if let whatsapp = runtime.configuration.whatsapp {
            let api = GraphAPIClient(http: HTTPClient.platforms, baseURL: whatsapp.apiURL, version: whatsapp.graphVersion,
                                     phoneNumberID: whatsapp.phoneNumberID, token: whatsapp.accessToken)
            whatsappWebhook = WhatsAppWebhook(inbound: WhatsAppInbound(service: runtime.service, api: api, logger: logger), appSecret: whatsapp.appSecret,
                                              verifyToken: whatsapp.verifyToken, phoneNumberID: whatsapp.phoneNumberID, logger: logger)
            services.append(BackgroundLoop {
                await WhatsAppSender(api: api, service: runtime.service, templates: whatsapp.templates, limits: whatsapp.limits, logger: logger).run()
            })
            logger.info("WhatsApp", metadata: ["webhook": "\(runtime.configuration.publicURL)\(WhatsAppWebhook.path)", "api": "\(whatsapp.apiURL)/\(whatsapp.graphVersion)",
                                               "templates": "\(whatsapp.templates.keys.sorted().joined(separator: ","))"])
        }
        if let sms = runtime.configuration.sms {
            let publicURL = runtime.configuration.publicURL
            let api = TwilioClient(http: HTTPClient.platforms, baseURL: sms.apiURL, accountSID: sms.accountSID, authToken: sms.authToken, sender: sms.sender,
                                   statusCallback: publicURL + TwilioWebhook.statusPath)
            smsWebhook = TwilioWebhook(inbound: SMSInbound(service: runtime.service, api: api, logger: logger), accountSID: sms.accountSID,
                                       authToken: sms.authToken, publicURL: publicURL, logger: logger)
            services.append(BackgroundLoop { await SMSSender(api: api, service: runtime.service, limits: sms.limits, logger: logger).run() })
            logger.info("SMS", metadata: ["provider": "twilio", "webhook": "\(publicURL)\(TwilioWebhook.path)", "api": "\(sms.apiURL)"])
        }
        if let matrix = runtime.configuration.matrix {
            let api = MatrixClient(http: HTTPClient.platforms, homeserver: matrix.homeserver, userID: matrix.userID, credentials: matrix.credentials)
            let crypto = matrix.pickleKey.map { MatrixCrypto(api: api, database: runtime.database, pickleSecret: $0, logger: logger) }
            let inbound = MatrixInbound(service: runtime.service, api: api, allowedServers: matrix.allowedServers, crypto: crypto, logger: logger)
            // One device: its sync position and its encryption sessions' counters are not to be shared.
            services.append(BackgroundLoop {
                await LeasedWork("matrix", leases: leases, logger: logger).run {
                    async let polling: Void = MatrixPoller(api: api, inbound: inbound, logger: logger).run()
                    async let sending: Void = MatrixSender(api: api, service: runtime.service, limits: matrix.limits, crypto: crypto, logger: logger).run()
                    _ = await (polling, sending)
                }
            })
            logger.info("Matrix", metadata: ["homeserver": "\(matrix.homeserver)", "invitations": "\(matrix.allowedServers?.joined(separator: ",") ?? "anyone")",
                                             "encryption": "\(crypto != nil)"])
        }
        if let translation = runtime.configuration.translation {
            logger.info("Translation", metadata: ["provider": "\(translation)"])
        }
    }
}

/// A loop that runs until cancelled (or, like webhook registration, until done), stopped by cancellation on
/// graceful shutdown. Finishing early is not an error: the service group keeps running the others.
struct BackgroundLoop: Service {
    let body: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown { await body() }
        try await gracefulShutdown()
    }
}
