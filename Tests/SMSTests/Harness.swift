import App
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SamenspraakCore
import SMS
import Storage
import Synchronization
import Testing
import TestSupport

/// Runs the fake Twilio API, the daemon's HTTP side with the SMS webhooks and the SMS sender for the duration of
/// `body`, which gets a parent's phone (posting signed webhooks over real HTTP on 127.0.0.1).
func withSMS(limits: SMSSender.Limits = SMSHarness.limits, logger: Logger = SMSHarness.logger,
             _ body: @escaping @Sendable (TestSchool, FakeTwilio, SMSParent) async throws -> Void) async throws {
    let school = try TestSchool()
    let fake = FakeTwilio()
    try await fake.serving { port in
        let api = SMSHarness.client(fake, port: port)
        let webhook = SMSHarness.webhook(school, api: api, fake: fake, logger: logger)
        let sender = SMSSender(api: api, service: school.runtime.service, limits: limits, logger: logger)
        let app = try buildApplication(school.runtime, logger: logger, smsWebhook: webhook)
        try await app.test(.live) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await sender.run() }
                try await body(school, fake, SMSParent(client: client, fake: fake, number: "+31612345678"))
                group.cancelAll()
            }
        }
    }
}

enum SMSHarness {
    /// What Twilio calls and signs: the configured public URL, not the test server's address.
    static let publicURL = "https://ouders.example-school.nl"
    static let schoolNumber = "+3197010203040"
    static let limits = SMSSender.Limits(perChatInterval: .milliseconds(5), perSecond: 1000, longestBackoff: .seconds(1))

    static var logger: Logger {
        var logger = Logger(label: "sms-test")
        logger.logLevel = .critical
        return logger
    }

    static func client(_ fake: FakeTwilio, port: Int) -> TwilioClient {
        TwilioClient(http: HTTPClient.shared, baseURL: "http://127.0.0.1:\(port)", accountSID: fake.accountSID, authToken: fake.authToken,
                     sender: .number(schoolNumber), statusCallback: publicURL + TwilioWebhook.statusPath)
    }

    static func webhook(_ school: TestSchool, api: TwilioClient, fake: FakeTwilio, logger: Logger = logger) -> TwilioWebhook {
        TwilioWebhook(inbound: SMSInbound(service: school.runtime.service, api: api, logger: logger), accountSID: fake.accountSID,
                      authToken: fake.authToken, publicURL: publicURL, logger: logger)
    }

    /// A webhook whose Twilio API is unreachable: direct answers to strangers fail quietly, so only what is stored counts.
    static func offlineWebhook(_ school: TestSchool, fake: FakeTwilio = FakeTwilio()) -> TwilioWebhook {
        let api = TwilioClient(http: HTTPClient.shared, baseURL: "http://127.0.0.1:9", accountSID: fake.accountSID, authToken: fake.authToken,
                               sender: .number(schoolNumber), statusCallback: nil)
        return webhook(school, api: api, fake: fake)
    }
}

/// The parameters Twilio posts for a texted message (https://www.twilio.com/docs/messaging/guides/webhook-request),
/// in Twilio's order.
enum TwilioPayloads {
    static let accountSID = FakeTwilio().accountSID

    static func message(_ sid: String, from: String, body: String, media: [String] = [], optOutType: String? = nil,
                        account: String = accountSID) -> [(String, String)] {
        var fields: [(String, String)] = [("ToCountry", "NL"), ("ToState", ""), ("SmsMessageSid", sid), ("NumMedia", "\(media.count)"),
                                          ("ToCity", ""), ("FromZip", ""), ("SmsSid", sid), ("FromState", ""), ("SmsStatus", "received"),
                                          ("FromCity", ""), ("Body", body), ("FromCountry", "NL"), ("To", SMSHarness.schoolNumber),
                                          ("MessagingServiceSid", "MG9752274e9e519418a7406176694466fa"), ("ToZip", ""), ("NumSegments", "1"),
                                          ("MessageSid", sid), ("AccountSid", account), ("From", from), ("ApiVersion", "2010-04-01")]
        for (index, url) in media.enumerated() {
            fields.append(("MediaContentType\(index)", "image/jpeg"))
            fields.append(("MediaUrl\(index)", url))
        }
        if let optOutType { fields.append(("OptOutType", optOutType)) }
        return fields
    }

    static func status(_ sid: String, _ status: String, to: String, errorCode: Int? = nil) -> [(String, String)] {
        var fields: [(String, String)] = [("SmsSid", sid), ("SmsStatus", status), ("MessageStatus", status), ("To", to),
                                          ("MessagingServiceSid", "MG9752274e9e519418a7406176694466fa"), ("MessageSid", sid),
                                          ("AccountSid", accountSID), ("From", SMSHarness.schoolNumber), ("ApiVersion", "2010-04-01")]
        if let errorCode { fields.append(("ErrorCode", "\(errorCode)")) }
        return fields
    }

    static func signature(_ fields: [(String, String)], path: String = TwilioWebhook.path, authToken: String = FakeTwilio().authToken) -> String {
        TwilioSignature.compute(url: SMSHarness.publicURL + path, parameters: fields.map { (name: $0.0, value: $0.1) }, authToken: authToken)
    }
}

/// POSTs a form to one of the webhooks, signed unless `signature` says otherwise; returns the status and the body.
@discardableResult
func post(_ client: any TestClientProtocol, _ fields: [(String, String)], path: String = TwilioWebhook.path, signature: String?? = .none,
          body: String? = nil) async throws -> (status: HTTPResponse.Status, body: String, contentType: String?) {
    var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
    let value: String? = switch signature {
    case .none: TwilioPayloads.signature(fields, path: path)
    case .some(let given): given
    }
    if let value { headers.append(.init(name: .init(TwilioSignature.header)!, value: value)) }
    let text = body ?? FormBody.encode(fields)
    let response = try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: text))
    return (response.status, String(buffer: response.body), response.headers[.contentType])
}

/// A parent's phone: texts the school as Twilio's webhook would deliver it, and reads what the school sent to this
/// number at the fake Twilio API.
final class SMSParent: Sendable {
    let client: any TestClientProtocol
    let fake: FakeTwilio
    let number: String
    private let position = ReadPosition()
    private let counter = Mutex(0)

    init(client: any TestClientProtocol, fake: FakeTwilio, number: String) {
        self.client = client
        self.fake = fake
        self.number = number
    }

    func nextSID() -> String { "SM" + String(format: "%032x", 0xABC000 + counter.withLock { $0 += 1; return $0 }) }

    @discardableResult
    func send(_ text: String, sid: String? = nil, optOutType: String? = nil) async throws -> String {
        let sid = sid ?? nextSID()
        let answer = try await post(client, TwilioPayloads.message(sid, from: number, body: text, optOutType: optOutType))
        #expect(answer.status == .ok)
        #expect(answer.body == TwilioWebhook.emptyTwiML && answer.contentType == "text/xml")
        return sid
    }

    /// The first message to this number, after those already read, that matches.
    func waitForMessage(timeout: Duration = .seconds(30), _ matches: (FakeTwilio.Sent) -> Bool) async throws -> FakeTwilio.Sent {
        if let message = try await position.next(in: { fake.sent.filter { $0.to == number } }, timeout: timeout, matching: matches) { return message }
        throw SMSTestError.noMessage(fake.sent.filter { $0.to == number }.map(\.body))
    }

    /// The number a message gives `label` in its numbered choices ("2. Dinsdag …" → "2").
    func number(of label: String, in message: FakeTwilio.Sent) throws -> String {
        if let number = numberedChoice(label, in: message.body) { return number }
        throw SMSTestError.noChoice(label, message.body)
    }

    /// Whether a message ends with numbered choices.
    static func hasChoices(_ message: FakeTwilio.Sent) -> Bool { message.body.split(separator: "\n").last?.first == "1" || message.body.contains("\n1. ") }
}

enum SMSTestError: Error { case noMessage([String]), noChoice(String, String) }
