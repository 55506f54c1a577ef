import ChannelKit
import Foundation
import Hummingbird
import HTTPServer
import Logging
import SMS
import Telegram
import WhatsApp

/// The daemon: HTTP server with the web chat, calendar files, health check and metrics.
/// `pollTimeout` is how long a web chat poll waits for a reply; tests shorten it.
/// `telegramWebhook` adds the route Telegram posts updates to (webhook mode); `whatsappWebhook` the one Meta verifies
/// (GET) and posts messages and statuses to; `smsWebhook` the two Twilio posts texted messages and status callbacks to.
public func buildApplication(_ runtime: Runtime, logger: Logger, pollTimeout: Duration = .seconds(25), telegramWebhook: TelegramWebhook? = nil,
                             whatsappWebhook: WhatsAppWebhook? = nil, smsWebhook: TwilioWebhook? = nil,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
    Application(
        router: try buildSchoolRouter(runtime, logger: logger, pollTimeout: pollTimeout, telegramWebhook: telegramWebhook,
                                      whatsappWebhook: whatsappWebhook, smsWebhook: smsWebhook),
        configuration: .init(address: .hostname(runtime.configuration.host, port: runtime.configuration.port), serverName: "samenspraak"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger)
}

/// Every route of one school: its web chat, pages, API, feeds, health and metrics, and its platforms' webhooks.
public func buildSchoolRouter(_ runtime: Runtime, logger: Logger, pollTimeout: Duration = .seconds(25), telegramWebhook: TelegramWebhook? = nil,
                              whatsappWebhook: WhatsAppWebhook? = nil, smsWebhook: TwilioWebhook? = nil) throws -> Router<AppRequestContext> {
    let router = buildRouter(service: runtime.service, assets: try StaticAssets.fromBundle(), pollTimeout: pollTimeout,
                             staffToken: runtime.configuration.staffToken,
                             staffPages: try StaffPages(service: runtime.service, publicURL: runtime.configuration.publicURL),
                             operations: OperationsController(service: runtime.service, registry: runtime.metrics.prometheus,
                                                              telegramMode: runtime.configuration.telegram?.mode.rawValue,
                                                              whatsapp: whatsappWebhook != nil, sms: smsWebhook != nil,
                                                              matrix: runtime.configuration.matrix != nil,
                                                              token: runtime.configuration.metricsToken))
    if let telegramWebhook {
        router.post(RouterPath(stringLiteral: TelegramWebhook.path)) { request, context -> Response in
            let body = try await request.body.collect(upTo: 1024 * 1024)
            let secret = request.headers.first { $0.name.canonicalName == TelegramWebhook.secretHeader.lowercased() }?.value
            let answer = await telegramWebhook.receive(body: Data(body.readableBytesView), secretHeader: secret, requestLogger: context.logger)
            return try response(to: answer, unauthorized: "The secret token is missing or wrong.")
        }
    }
    if let whatsappWebhook {
        router.get(RouterPath(stringLiteral: WhatsAppWebhook.path)) { request, _ -> Response in
            let query = request.uri.queryParameters
            guard let challenge = whatsappWebhook.verify(mode: query["hub.mode"].map(String.init), token: query["hub.verify_token"].map(String.init),
                                                         challenge: query["hub.challenge"].map(String.init)) else {
                throw ChatError(.forbidden, "The verify token is wrong.")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: challenge)))
        }
        router.post(RouterPath(stringLiteral: WhatsAppWebhook.path)) { request, context -> Response in
            let body = try await request.body.collect(upTo: WhatsAppWebhook.maximumBodySize)
            let signature = request.headers.first { $0.name.canonicalName == WhatsAppWebhook.signatureHeader.lowercased() }?.value
            let answer = await whatsappWebhook.receive(body: Data(body.readableBytesView), signature: signature, requestLogger: context.logger)
            return try response(to: answer, unauthorized: "The signature is missing or wrong.")
        }
    }
    if let smsWebhook {
        @Sendable func signature(_ request: Request) -> String? {
            request.headers.first { $0.name.canonicalName == TwilioSignature.header.lowercased() }?.value
        }
        router.post(RouterPath(stringLiteral: TwilioWebhook.path)) { request, context -> Response in
            let body = try await request.body.collect(upTo: TwilioWebhook.maximumBodySize)
            let answer = await smsWebhook.receiveMessage(body: Data(body.readableBytesView), signature: signature(request), requestLogger: context.logger)
            return try twimlResponse(to: answer)
        }
        router.post(RouterPath(stringLiteral: TwilioWebhook.statusPath)) { request, context -> Response in
            let body = try await request.body.collect(upTo: TwilioWebhook.maximumBodySize)
            let answer = await smsWebhook.receiveStatus(body: Data(body.readableBytesView), signature: signature(request), requestLogger: context.logger)
            return try twimlResponse(to: answer)
        }
    }
    return router
}

/// A webhook's answer in HTTP: 200, 503 so the platform delivers it again, or 401 and 400 with the reason.
private func response(to answer: WebhookAnswer, unauthorized: String) throws -> Response {
    switch answer {
    case .ok: return Response(status: .ok)
    case .okCalling(let json): return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    case .unauthorized: throw ChatError(.unauthorized, unauthorized)
    case .badRequest(let reason): throw ChatError(.badRequest, reason)
    case .retryLater: throw ChatError(.serviceUnavailable, "Not stored; please deliver again.")
    }
}

/// Twilio's webhooks: 200 with empty TwiML, so Twilio sends nothing of its own (our replies go through the outbox);
/// otherwise as every webhook.
private func twimlResponse(to answer: WebhookAnswer) throws -> Response {
    guard answer == .ok else { return try response(to: answer, unauthorized: "The X-Twilio-Signature is missing or wrong.") }
    return Response(status: .ok, headers: [.contentType: "text/xml"], body: .init(byteBuffer: ByteBuffer(string: TwilioWebhook.emptyTwiML)))
}
