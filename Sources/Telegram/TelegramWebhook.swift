import ChannelKit
import Foundation
import Logging

/// Webhook mode: Telegram POSTs each update to us. The secret token given to setWebhook comes back in the
/// X-Telegram-Bot-Api-Secret-Token header, so anyone else's request is refused. The answer is 200 only once the
/// update's step is committed; anything else makes Telegram deliver it again (and the inbox ignores repeats).
/// A pressed button's spinner is stopped by the answer itself, which names answerCallbackQuery for Telegram to run:
/// one request less per press.
public struct TelegramWebhook: Sendable {
    public static let path = "/telegram/webhook"
    public static let secretHeader = "X-Telegram-Bot-Api-Secret-Token"

    let api: BotAPIClient
    let inbound: TelegramInbound
    let secret: String
    let logger: Logger

    /// `secret`: by default derived from the bot's token (`secret(token:)`).
    public init(api: BotAPIClient, inbound: TelegramInbound, logger: Logger, secret: String? = nil) {
        self.api = api
        self.inbound = inbound
        self.logger = logger
        self.secret = secret ?? Self.secret(token: api.token)
    }

    /// The secret token for setWebhook: an HMAC of the bot's token, so every daemon sharing the bot registers the same
    /// one (Telegram keeps the last registration) and only those holding the bot's token can know it.
    public static func secret(token: String) -> String {
        String(WebhookSecurity.sha256Signature(body: Data("samenspraak telegram webhook".utf8), secret: token).dropFirst("sha256=".count))
    }

    /// Handles one POSTed update; `requestLogger` carries the HTTP request's id.
    public func receive(body: Data, secretHeader: String?, requestLogger: Logger? = nil) async -> WebhookAnswer {
        guard let given = secretHeader, WebhookSecurity.constantTimeEqual(given, secret) else { return .unauthorized }
        let update: Update
        do { update = try JSONDecoder().decode(Update.self, from: body) } catch {
            return .badRequest("The body is not a Telegram Update.")
        }
        do {
            try await inbound.handle(update, callbackAnswer: .inWebhookAnswer)
            inbound.service.monitoring.activity.record(.telegramUpdates)
            guard let callback = update.callbackQuery else { return .ok }
            return .okCalling(json: BotAPIBody.inWebhookAnswer("answerCallbackQuery", BotAPIBody.answerCallbackQuery(id: callback.id)))
        } catch {
            (requestLogger ?? logger).error("Telegram webhook update not stored; Telegram will retry", metadata: ["error": "\(error)"])
            return .retryLater
        }
    }

    /// Registers `url` with Telegram, retrying until it succeeds or the task is cancelled.
    public func register(url: String) async {
        var backoff = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                try await api.setWebhook(url: url, secret: secret)
                logger.info("Telegram webhook registered")
                return
            } catch {
                logger.error("Telegram setWebhook failed; trying again", metadata: ["error": "\(error)", "wait": "\(backoff)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(60))
            }
        }
    }
}
