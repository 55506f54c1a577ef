import App
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SamenspraakCore
import Storage
import Telegram
import Testing
import TestSupport

/// Webhook mode over real HTTP on 127.0.0.1: only requests carrying the secret token are taken, and 200 means stored.
@Suite struct TelegramWebhookTests {
    @Test func theWebhookTakesOnlyTelegramsRequestsAndAnswersOnceStored() async throws {
        let school = try TestSchool()
        let (webhook, logger) = offlineWebhook(school, secret: "s3cret_Token-1")
        let code = InviteCode.display(try school.household().code)
        let update = #"{"update_id":555000111,"message":{"message_id":1,"from":{"id":9001,"is_bot":false,"first_name":"Amina","language_code":"ar"},"chat":{"id":9001,"first_name":"Amina","type":"private"},"date":1795424400,"text":"/start \#(code)","entities":[{"offset":0,"length":6,"type":"bot_command"}]}}"#
        let app = try buildApplication(school.runtime, logger: logger, telegramWebhook: webhook)
        try await app.test(.live) { client in
            func post(_ body: String, secret: String?) async throws -> HTTPResponse.Status {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let secret { headers.append(.init(name: .init("X-Telegram-Bot-Api-Secret-Token")!, value: secret)) }
                return try await client.execute(uri: TelegramWebhook.path, method: .post, headers: headers, body: ByteBuffer(string: body)).status
            }
            #expect(try await post(update, secret: nil) == .unauthorized)
            #expect(try await post(update, secret: "s3cret_Token-2") == .unauthorized)
            #expect(try await post("{\"update_id\": \"x\"", secret: "s3cret_Token-1") == .badRequest)
            #expect(try school.runtime.database.readNow { try $0.contact(channel: "telegram", address: "9001") } == nil, "nothing stored so far")

            #expect(try await post(update, secret: "s3cret_Token-1") == .ok)
            let queued = try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: "9001", after: 0) }
            #expect(!queued.isEmpty && queued.allSatisfy { $0.status == "pending" })
            #expect(queued.first.flatMap { try? JSONDecoder().decode(OutboundMessage.self, from: Data($0.payload.utf8)) }?.rightToLeft == true,
                    "Telegram's language_code ar was used before a language was chosen")

            // Telegram delivers again when it did not see our 200: the step is not repeated.
            #expect(try await post(update, secret: "s3cret_Token-1") == .ok)
            #expect(try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: "9001", after: 0) }.count == queued.count)
        }
    }

    @Test func aButtonPressIsAnsweredInTheWebhooksAnswerNotByARequest() async throws {
        let fake = FakeBotAPI()
        try await fake.serving { port in
            let school = try TestSchool()
            let (webhook, logger) = webhook(school, apiPort: port, secret: "press-secret", replies: true)
            let code = InviteCode.display(try school.household().code)
            let app = try buildApplication(school.runtime, logger: logger, telegramWebhook: webhook)
            try await app.test(.live) { client in
                func post(_ body: String) async throws -> TestResponse {
                    var headers: HTTPFields = [.contentType: "application/json"]
                    headers.append(.init(name: .init(TelegramWebhook.secretHeader)!, value: "press-secret"))
                    return try await client.execute(uri: TelegramWebhook.path, method: .post, headers: headers, body: ByteBuffer(string: body))
                }
                let start = try await post(#"{"update_id":1,"message":{"message_id":1,"from":{"id":9101,"is_bot":false,"first_name":"Amina","language_code":"nl"},"chat":{"id":9101,"type":"private"},"date":1795424400,"text":"/start \#(code)"}}"#)
                #expect(start.status == .ok && start.body.readableBytes == 0, "nothing to call for a message")
                let press = try await post(#"{"update_id":2,"callback_query":{"id":"4382bf\"dwdsb","from":{"id":9101,"is_bot":false,"first_name":"Amina","language_code":"nl"},"message":{"message_id":1,"chat":{"id":9101,"type":"private"},"date":1795424400,"text":"In welke taal?","reply_markup":{"inline_keyboard":[[{"text":"Nederlands","callback_data":"o:nl"}]]}},"chat_instance":"-5551234","data":"o:nl"}}"#)
                #expect(press.status == .ok && press.headers[.contentType] == "application/json")
                let call = try JSONSerialization.jsonObject(with: Data(buffer: press.body)) as? [String: String]
                #expect(call == ["method": "answerCallbackQuery", "callback_query_id": "4382bf\"dwdsb"])
                // The step ran and its replies went out at once, the first in place of the question after the choice; the
                // spinner was left to Telegram.
                #expect(fake.edits.count == 1 && fake.edits.first?.hasPrefix("In welke taal?\n\n→ Nederlands\n\nFijn dat u er bent") == true, "\(fake.edits)")
                #expect(fake.calls.filter { $0 == "sendMessage" }.count == 2, "the welcome and the second reply")
                #expect(!fake.calls.contains("answerCallbackQuery"))
            }
        }
    }

    @Test func registeringTheWebhookSendsTheSecret() async throws {
        let fake = FakeBotAPI()
        try await fake.serving { port in
            let (webhook, _) = webhook(try TestSchool(), apiPort: port)
            await webhook.register(url: "https://school.example/telegram/webhook")
            #expect(fake.calls == ["setWebhook"])
        }
    }

    @Test func everyDaemonOfOneBotRegistersTheSameSecretAndNobodyElseKnowsIt() {
        let secret = TelegramWebhook.secret(token: "123456:TEST-token")
        #expect(secret == TelegramWebhook.secret(token: "123456:TEST-token"), "Telegram keeps the last registration: it must fit every daemon")
        #expect(secret != TelegramWebhook.secret(token: "654321:OTHER-token"))
        #expect(!secret.contains("123456") && secret.count == 64)
        #expect(secret.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }, "Telegram's alphabet for secret tokens")
    }
}

/// A webhook receiver for `school` with no Bot API reachable: direct answers and button spinners are best effort
/// and fail quietly, so only what the webhook stores and queues is tested.
func offlineWebhook(_ school: TestSchool, secret: String) -> (TelegramWebhook, Logger) {
    webhook(school, apiPort: 9, secret: secret)
}

/// A webhook receiver for `school` with its Bot API on `apiPort`; with `replies` the steps' replies go out at once, as
/// the daemon wires it (without a wait between a chat's messages).
func webhook(_ school: TestSchool, apiPort: Int, secret: String? = nil, replies: Bool = false) -> (TelegramWebhook, Logger) {
    var logger = Logger(label: "webhook-test")
    logger.logLevel = .critical
    let api = BotAPIClient(http: HTTPClient.shared, baseURL: "http://127.0.0.1:\(apiPort)", token: "123456:TEST-token")
    let sender = replies ? TelegramSender(api: api, service: school.runtime.service, limits: .init(perChatInterval: .zero), logger: logger) : nil
    let webhook = TelegramWebhook(api: api, inbound: TelegramInbound(service: school.runtime.service, api: api, replies: sender, logger: logger),
                                  logger: logger, secret: secret)
    return (webhook, logger)
}
