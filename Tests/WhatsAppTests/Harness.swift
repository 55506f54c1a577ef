import App
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SamenspraakCore
import Storage
import Synchronization
import Testing
import TestSupport
import WhatsApp

/// Runs the fake Graph API, the daemon's HTTP side with the WhatsApp webhook and the WhatsApp sender for the
/// duration of `body`, which gets a parent's WhatsApp (posting signed webhooks over real HTTP on 127.0.0.1).
func withWhatsApp(templates: [String: WhatsAppTemplate] = WhatsAppHarness.templates, limits: WhatsAppSender.Limits = WhatsAppHarness.limits,
                  _ body: @escaping @Sendable (TestSchool, FakeGraphAPI, WhatsAppParent) async throws -> Void) async throws {
    let school = try TestSchool()
    let fake = FakeGraphAPI()
    let logger = WhatsAppHarness.logger
    try await fake.serving { port in
        let api = GraphAPIClient(http: HTTPClient.shared, baseURL: "http://127.0.0.1:\(port)", version: fake.version, phoneNumberID: fake.phoneNumberID, token: fake.token)
        let webhook = WhatsAppHarness.webhook(school, api: api)
        let sender = WhatsAppSender(api: api, service: school.runtime.service, templates: templates, limits: limits, logger: logger)
        let app = try buildApplication(school.runtime, logger: logger, whatsappWebhook: webhook)
        try await app.test(.live) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await sender.run() }
                try await body(school, fake, WhatsAppParent(client: client, fake: fake, number: "31612345678"))
                group.cancelAll()
            }
        }
    }
}

enum WhatsAppHarness {
    static let templates = ["nl": WhatsAppTemplate(name: "samenspraak_bericht", languageCode: "nl"),
                            "ar": WhatsAppTemplate(name: "samenspraak_message_ar", languageCode: "ar")]
    static let limits = WhatsAppSender.Limits(perChatInterval: .milliseconds(5), perSecond: 1000, longestBackoff: .seconds(1))

    static var logger: Logger {
        var logger = Logger(label: "whatsapp-test")
        logger.logLevel = .critical
        return logger
    }

    static func webhook(_ school: TestSchool, api: GraphAPIClient) -> WhatsAppWebhook {
        WhatsAppWebhook(inbound: WhatsAppInbound(service: school.runtime.service, api: api, logger: logger), appSecret: Payloads.appSecret,
                        verifyToken: Payloads.verifyToken, phoneNumberID: Payloads.phoneNumberID, logger: logger)
    }

    /// A webhook whose Graph API is unreachable: direct answers to strangers fail quietly, so only what is stored counts.
    static func offlineWebhook(_ school: TestSchool) -> WhatsAppWebhook {
        webhook(school, api: GraphAPIClient(http: HTTPClient.shared, baseURL: "http://127.0.0.1:9", version: "v23.0", phoneNumberID: Payloads.phoneNumberID, token: "t"))
    }
}

/// POSTs `body` to the webhook, signed unless `signature` says otherwise.
func post(_ client: any TestClientProtocol, _ body: String, signature: String?? = .none) async throws -> HTTPResponse.Status {
    var headers: HTTPFields = [.contentType: "application/json"]
    let value: String? = switch signature {
    case .none: Payloads.signature(body)
    case .some(let given): given
    }
    if let value { headers.append(.init(name: .init(WhatsAppWebhook.signatureHeader)!, value: value)) }
    return try await client.execute(uri: WhatsAppWebhook.path, method: .post, headers: headers, body: ByteBuffer(string: body)).status
}

/// A parent's WhatsApp: sends texts and presses buttons or list rows as Meta's webhooks would deliver them, and reads
/// what the school sent to this number at the fake Graph API.
final class WhatsAppParent: Sendable {
    let client: any TestClientProtocol
    let fake: FakeGraphAPI
    let number: String
    private let position = ReadPosition()
    private let counter = Mutex(0)

    init(client: any TestClientProtocol, fake: FakeGraphAPI, number: String) {
        self.client = client
        self.fake = fake
        self.number = number
    }

    func nextID() -> String { "wamid.HBgLMzE2MTIzNDU2NzgVAgASGBQzQUZF\(counter.withLock { $0 += 1; return $0 })QUE=" }

    @discardableResult
    func send(text: String, id: String? = nil) async throws -> String {
        let id = id ?? nextID()
        let status = try await post(client, Payloads.envelope(messages: [Payloads.text(id, from: number, text)], from: number))
        #expect(status == .ok)
        return id
    }

    /// Chooses `title` in a message: a reply button, a list row, or (numbered text) by typing its number.
    func choose(_ title: String, in message: FakeGraphAPI.Sent) async throws {
        let body: String
        if let button = message.buttons.first(where: { $0.title == title }) {
            body = Payloads.buttonReply(nextID(), from: number, replyID: button.id, title: button.title, context: message.id)
        } else if let row = message.rows.first(where: { $0.title == title }) {
            body = Payloads.listReply(nextID(), from: number, replyID: row.id, title: row.title, description: row.description)
        } else {
            throw WhatsAppTestError.noChoice(title, message.buttons.map(\.title) + message.rows.map(\.title))
        }
        #expect(try await post(client, Payloads.envelope(messages: [body], from: number)) == .ok)
    }

    /// The first choice of a message, however it is shown.
    func chooseFirst(in message: FakeGraphAPI.Sent) async throws {
        if let title = message.buttons.first?.title ?? message.rows.first?.title { try await choose(title, in: message) } else { try await send(text: "1") }
    }

    /// The first message to this number, after those already read, that matches.
    func waitForMessage(timeout: Duration = .seconds(30), _ matches: (FakeGraphAPI.Sent) -> Bool) async throws -> FakeGraphAPI.Sent {
        if let message = try await position.next(in: { fake.sent.filter { $0.to == number } }, timeout: timeout, matching: matches) { return message }
        throw WhatsAppTestError.noMessage(fake.sent.filter { $0.to == number }.map { "\($0.type): \($0.text)" })
    }
}

enum WhatsAppTestError: Error { case noMessage([String]), noChoice(String, [String]) }
