import Foundation
import Hummingbird
import NIOCore
import SMS
import Synchronization
import TestSupport

/// Twilio's Programmable Messaging API on 127.0.0.1: takes `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
/// form-encoded with basic authentication, records each message, answers 201 with an "SM…" sid, and fails on request
/// with Twilio's error bodies (20429 and 429, 500, 21610 unsubscribed, 21211 invalid number).
final class FakeTwilio: Sendable {
    struct Sent: Sendable {
        var to: String
        var body: String
        var from: String?
        var messagingServiceSID: String?
        var statusCallback: String?
        var sid: String
    }

    struct Failure: Sendable {
        var status: HTTPResponse.Status
        var code: Int
        var message: String
        var retryAfter: Int?

        static let tooManyRequests = Failure(status: .tooManyRequests, code: 20429, message: "Too Many Requests", retryAfter: 1)
        static let serverError = Failure(status: .internalServerError, code: 20500, message: "Internal Server Error")
        static let serviceUnavailable = Failure(status: .serviceUnavailable, code: 20503, message: "Service Unavailable")
        static let unsubscribed = Failure(status: .badRequest, code: 21610, message: "Attempt to send to unsubscribed recipient")
        static let invalidNumber = Failure(status: .badRequest, code: 21211, message: "The 'To' number +31612345678 is not a valid phone number.")
    }

    private struct State {
        var nextID = 0
        var sent: [Sent] = []
        var failures: [Failure] = []
        var requests = 0
    }

    private let state = Mutex(State())
    let accountSID = "AC0123456789abcdef0123456789abcdef"
    let authToken = "f1e2d3c4b5a697887766554433221100"

    var sent: [Sent] { state.withLock { $0.sent } }
    var requests: Int { state.withLock { $0.requests } }

    /// The next sends fail like this, in order.
    func failNextSends(_ failures: [Failure]) { state.withLock { $0.failures += failures } }

    func serving<T: Sendable>(_ body: (_ port: Int) async throws -> T) async throws -> T {
        try await TestSupport.serving(router(), label: "fake-twilio", body)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/2010-04-01/Accounts/{account}/Messages.json") { request, context -> Response in
            let expected = "Basic " + Data("\(self.accountSID):\(self.authToken)".utf8).base64EncodedString()
            guard request.headers[.authorization] == expected, context.parameters.get("account") == self.accountSID else {
                return Self.error(.unauthorized, code: 20003, message: "Authenticate")
            }
            guard request.headers[.contentType] == "application/x-www-form-urlencoded" else {
                return Self.error(.unsupportedMediaType, code: 20415, message: "Unsupported media type")
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let fields = FormBody.decode(Data(buffer: body)) else { return Self.error(.badRequest, code: 20001, message: "Bad request") }
            return self.send(Dictionary(fields.map { ($0.name, $0.value) }) { first, _ in first })
        }
        return router
    }

    private func send(_ fields: [String: String]) -> Response {
        let failure = state.withLock { state -> Failure? in
            state.requests += 1
            return state.failures.isEmpty ? nil : state.failures.removeFirst()
        }
        if let failure {
            var response = Self.error(failure.status, code: failure.code, message: failure.message)
            if let wait = failure.retryAfter { response.headers[.retryAfter] = "\(wait)" }
            return response
        }
        guard let to = fields["To"], let body = fields["Body"], !body.isEmpty, fields["From"] != nil || fields["MessagingServiceSid"] != nil else {
            return Self.error(.badRequest, code: 21604, message: "A 'To' phone number, a 'Body' and a 'From' are required.")
        }
        guard body.count <= 1600 else { return Self.error(.badRequest, code: 21617, message: "The concatenated message body exceeds the 1600 character limit.") }
        let sid = state.withLock { state -> String in
            state.nextID += 1
            let sid = "SM" + String(format: "%032x", state.nextID)
            state.sent.append(Sent(to: to, body: body, from: fields["From"], messagingServiceSID: fields["MessagingServiceSid"],
                                   statusCallback: fields["StatusCallback"], sid: sid))
            return sid
        }
        return Response.json(#"{"account_sid":"\#(accountSID)","api_version":"2010-04-01","body":"…","num_segments":"1","sid":"\#(sid)","status":"queued","to":"\#(to)"}"#, .created)
    }

    static func error(_ status: HTTPResponse.Status, code: Int, message: String) -> Response {
        Response.json(#"{"code":\#(code),"message":"\#(message)","more_info":"https://www.twilio.com/docs/errors/\#(code)","status":\#(status.code)}"#, status)
    }
}
