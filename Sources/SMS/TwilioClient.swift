import AsyncHTTPClient
import ChannelKit
import Foundation
import NIOCore
import NIOHTTP1

/// An error Twilio's API answered with (or a network failure: status 0, no code), sorted by what the sender does about
/// it. Twilio's own message is not kept: it names the phone number ("The 'To' number +31… is not a valid phone
/// number"), and this error ends up in logs and in what staff see. Its code and our explanation of it are enough.
public struct TwilioError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The HTTP status (0: no answer).
    public var status: Int
    /// Twilio's error code (https://www.twilio.com/docs/api/errors/<code>), when the answer had one.
    public var code: Int?
    /// From a Retry-After header on 429.
    public var retryAfter: Duration?

    public init(status: Int, code: Int?, retryAfter: Duration? = nil) {
        self.status = status
        self.code = code
        self.retryAfter = retryAfter
    }

    /// The person replied STOP (or another opt-out word): Twilio sends them nothing from this number until they reply START.
    public static let unsubscribed = 21610
    public static let tooManyRequests = 20429
    public static let sendRateLimit = 14107

    public var description: String {
        let what = code.map { "error \($0)" } ?? (status == 0 ? "no answer" : "HTTP \(status)")
        return "Twilio \(what): \(Self.meaning(code: code, status: status))"
    }

    /// What a code means, in words for staff (and for the status callbacks' error codes, 30xxx, too).
    public static func meaning(code: Int?, status: Int = 400) -> String {
        switch code {
        case 20003: "authentication failed (check twilio_account_sid and the auth token)"
        case 20005: "the Twilio account is not active"
        case tooManyRequests: "too many requests at once"
        case sendRateLimit: "the sending rate of the number is exceeded"
        case 21211: "the number is not a valid phone number"
        case 21212, 21606: "the From number cannot send SMS (check twilio_from)"
        case 21408: "sending to this country is not enabled (Twilio console: Messaging → Geo permissions)"
        case 21608: "a trial account only sends to verified numbers"
        case unsubscribed: "the person replied STOP; nothing is sent until they reply START"
        case 21612: "Twilio cannot route a message to this number"
        case 21614: "the number is not a mobile number"
        case 21617: "the text is longer than 1,600 characters"
        case 21635: "the number is a landline"
        case 30003: "the phone is switched off or out of reach"
        case 30004: "the message is blocked (the person may have blocked the number)"
        case 30005: "the number does not exist at the carrier"
        case 30006: "a landline, or a carrier that cannot receive SMS"
        case 30007: "the carrier filtered the message"
        case 30008: "the carrier gave no reason"
        case .some(let code): "see https://www.twilio.com/docs/api/errors/\(code)"
        case nil: status == 0 ? "network error or timeout" : "unexpected answer"
        }
    }

    /// What the outbox sender does about it.
    public var delivery: DeliveryFailure {
        switch code {
        case Self.tooManyRequests, Self.sendRateLimit: return .rateLimited(retryAfter: retryAfter, scope: .channel, reason: description)
        case Self.unsubscribed: return .blocked(description)
        // A wrong or revoked auth token or a suspended account: the school fixes it, and then the messages should still go.
        case 20003, 20005: return .unavailable(description)
        default: break
        }
        switch status {
        case 429: return .rateLimited(retryAfter: retryAfter, scope: .channel, reason: description)
        case 401, 403: return .unavailable(description)
        case 400..<500: return .rejected(description)
        default: return .unavailable(description)
        }
    }
}

/// Sends SMS through Twilio's Programmable Messaging API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`,
/// form-encoded, with HTTP basic authentication (Account SID and auth token). The auth token goes in the Authorization
/// header only and is never logged or put in an error.
public struct TwilioClient: Sendable {
    /// Who the messages come from: a number of the account (E.164, "+3197010203040") or a Messaging Service, which picks
    /// a number of its pool and applies its opt-out settings.
    public enum Sender: Sendable, Equatable {
        case number(String)
        case messagingService(String)
    }

    let http: HTTPClient
    let baseURL: String
    let accountSID: String
    let authToken: String
    let sender: Sender
    /// Where Twilio posts each message's status (`<public_url>/sms/twilio/status`); nil: no callbacks.
    let statusCallback: String?

    /// `baseURL` is https://api.twilio.com or a test server.
    public init(http: HTTPClient, baseURL: String, accountSID: String, authToken: String, sender: Sender, statusCallback: String?) {
        self.http = http
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.accountSID = accountSID
        self.authToken = authToken
        self.sender = sender
        self.statusCallback = statusCallback
    }

    /// Sends one message; returns its SID ("SM…"), which the status callbacks name.
    func send(to address: String, body: String) async throws(TwilioError) -> String {
        var request = HTTPClientRequest(url: "\(baseURL)/2010-04-01/Accounts/\(accountSID)/Messages.json")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Authorization", value: "Basic " + Data("\(accountSID):\(authToken)".utf8).base64EncodedString())
        var fields = [("To", address), ("Body", body)]
        switch sender {
        case .number(let number): fields.append(("From", number))
        case .messagingService(let sid): fields.append(("MessagingServiceSid", sid))
        }
        if let statusCallback { fields.append(("StatusCallback", statusCallback)) }
        request.body = .bytes(ByteBuffer(string: FormBody.encode(fields)))
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(20))
            bytes = try await response.body.collect(upTo: 1024 * 1024)
        } catch {
            throw TwilioError(status: 0, code: nil)
        }
        let data = Data(bytes.readableBytesView)
        let status = Int(response.status.code)
        if (200..<300).contains(status), let sent = try? JSONDecoder().decode(SentMessage.self, from: data) { return sent.sid }
        let code = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.code
        let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
        throw TwilioError(status: status, code: code, retryAfter: retryAfter)
    }

    /// `{"sid": "SM…", "status": "queued", …}`.
    struct SentMessage: Decodable { var sid: String }
    /// `{"code": 21211, "message": "The 'To' number … is not a valid phone number.", "more_info": "…", "status": 400}`.
    struct ErrorBody: Decodable { var code: Int? }
}
