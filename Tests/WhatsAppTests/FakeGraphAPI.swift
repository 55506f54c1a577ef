import Foundation
import Hummingbird
import NIOCore
import Synchronization
import TestSupport

/// A WhatsApp Cloud API (Graph API) stand-in on 127.0.0.1: takes `POST /{version}/{phone-number-id}/messages` with
/// the bearer token, records each message, answers with a "wamid.…" id, and fails on request with Meta's error
/// bodies (131047 re-engagement, 130429 and 131056 rate limits, other 4xx, 500).
final class FakeGraphAPI: Sendable {
    struct Sent: Sendable {
        var to: String
        /// "text", "interactive" or "template".
        var type: String
        var text: String
        /// Reply buttons: id and title.
        var buttons: [(id: String, title: String)]
        /// List rows: id, title, description.
        var rows: [(id: String, title: String, description: String?)]
        var listButton: String?
        var template: (name: String, language: String)?
        var id: String
    }

    struct Failure: Sendable {
        var status: HTTPResponse.Status
        var code: Int
        var message: String

        static let reEngagement = Failure(status: .badRequest, code: 131047, message: "(#131047) Re-engagement message")
        static let throughput = Failure(status: .badRequest, code: 130429, message: "(#130429) Rate limit hit")
        static let pairRateLimit = Failure(status: .badRequest, code: 131056, message: "(#131056) (Business Account, Consumer Account) pair rate limit hit")
        static let invalidParameter = Failure(status: .badRequest, code: 100, message: "(#100) Invalid parameter")
        static let serverError = Failure(status: .internalServerError, code: 131000, message: "Something went wrong")
    }

    private struct State {
        var nextID = 0
        var sent: [Sent] = []
        var failures: [Failure] = []
        var requests = 0
    }

    private let state = Mutex(State())
    let token = "EAAG-test-access-token"
    let version = "v23.0"
    let phoneNumberID = "106540352242922"

    var sent: [Sent] { state.withLock { $0.sent } }
    var requests: Int { state.withLock { $0.requests } }

    /// The next sends fail like this, in order.
    func failNextSends(_ failures: [Failure]) { state.withLock { $0.failures += failures } }

    /// Serves while `body` runs, then stops gracefully (TestSupport.serving).
    func serving<T: Sendable>(_ body: (_ port: Int) async throws -> T) async throws -> T {
        try await TestSupport.serving(router(), label: "fake-graph-api", body)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/{version}/{phone}/messages") { request, context -> Response in
            guard request.headers[.authorization] == "Bearer \(self.token)" else {
                return Self.error(.unauthorized, code: 190, message: "Invalid OAuth access token - Cannot parse access token")
            }
            guard context.parameters.get("version") == self.version, context.parameters.get("phone") == self.phoneNumberID else {
                return Self.error(.badRequest, code: 100, message: "Unsupported post request.")
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
            return self.send(object)
        }
        return router
    }

    private func send(_ request: [String: Any]) -> Response {
        let failure = state.withLock { state -> Failure? in
            state.requests += 1
            return state.failures.isEmpty ? nil : state.failures.removeFirst()
        }
        if let failure { return Self.error(failure.status, code: failure.code, message: failure.message) }
        guard request["messaging_product"] as? String == "whatsapp", let to = request["to"] as? String, let type = request["type"] as? String else {
            return Self.error(.badRequest, code: 100, message: "(#100) The parameter messaging_product is required.")
        }
        var sent = Sent(to: to, type: type, text: "", buttons: [], rows: [], listButton: nil, template: nil, id: "")
        switch type {
        case "text":
            sent.text = (request["text"] as? [String: Any])?["body"] as? String ?? ""
        case "interactive":
            let interactive = request["interactive"] as? [String: Any] ?? [:]
            sent.text = (interactive["body"] as? [String: Any])?["text"] as? String ?? ""
            let action = interactive["action"] as? [String: Any] ?? [:]
            sent.buttons = (action["buttons"] as? [[String: Any]] ?? []).map {
                let reply = $0["reply"] as? [String: Any] ?? [:]
                return (reply["id"] as? String ?? "", reply["title"] as? String ?? "")
            }
            sent.listButton = action["button"] as? String
            sent.rows = (action["sections"] as? [[String: Any]] ?? []).flatMap { $0["rows"] as? [[String: Any]] ?? [] }.map {
                ($0["id"] as? String ?? "", $0["title"] as? String ?? "", $0["description"] as? String)
            }
        case "template":
            let template = request["template"] as? [String: Any] ?? [:]
            let language = (template["language"] as? [String: Any])?["code"] as? String ?? ""
            sent.template = (template["name"] as? String ?? "", language)
            let components = template["components"] as? [[String: Any]] ?? []
            sent.text = (components.first?["parameters"] as? [[String: Any]])?.first?["text"] as? String ?? ""
        default:
            return Self.error(.badRequest, code: 100, message: "(#100) Invalid parameter")
        }
        let id = state.withLock { state -> String in
            state.nextID += 1
            sent.id = "wamid.HBgLMzE2MTIzNDU2NzgVAgARGBI\(String(format: "%06d", state.nextID))A="
            state.sent.append(sent)
            return sent.id
        }
        return Response.json(#"{"messaging_product":"whatsapp","contacts":[{"input":"\#(to)","wa_id":"\#(to)"}],"messages":[{"id":"\#(id)"}]}"#)
    }

    static func error(_ status: HTTPResponse.Status, code: Int, message: String) -> Response {
        Response.json(#"{"error":{"message":"\#(message)","type":"OAuthException","code":\#(code),"error_data":{"messaging_product":"whatsapp","details":"\#(message)"},"fbtrace_id":"AbCdEfGh123"}}"#, status)
    }
}
