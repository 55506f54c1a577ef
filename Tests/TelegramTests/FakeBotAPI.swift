import Foundation
import Hummingbird
import NIOCore
import Synchronization
import TestSupport

/// A Telegram Bot API stand-in on 127.0.0.1: hands out queued updates through getUpdates (forgetting those
/// below the offset, as Telegram does), records what the bot sends, and fails on request (429, 500, 403).
final class FakeBotAPI: Sendable {
    struct Sent: Sendable {
        var chatID: String
        var text: String
        /// Each button's label and callback data, one per row.
        var buttons: [(label: String, data: String)]
        var messageID: Int64
    }

    enum Failure: Sendable {
        case tooManyRequests(retryAfter: Int)
        case serverError
        case blocked
    }

    private struct State {
        var updates: [(id: Int64, json: String)] = []
        var nextUpdateID: Int64 = 1000
        var nextMessageID: Int64 = 1
        var sent: [Sent] = []
        var calls: [String] = []
        var failures: [Failure] = []
    }

    private let state = Mutex(State())
    let token = "123456:TEST-token"

    var sent: [Sent] { state.withLock { $0.sent } }
    var calls: [String] { state.withLock { $0.calls } }

    /// Queues an update; `body` is the update's JSON without `update_id`. Returns the id given.
    @discardableResult
    func push(_ body: String, id: Int64? = nil) -> Int64 {
        state.withLock { state in
            let updateID = id ?? { state.nextUpdateID += 1; return state.nextUpdateID }()
            state.updates.append((updateID, "{\"update_id\":\(updateID),\(body.dropFirst())"))
            return updateID
        }
    }

    /// The next sendMessage calls fail like this, in order.
    func failNextSends(_ failures: [Failure]) { state.withLock { $0.failures += failures } }

    /// Serves while `body` runs, then stops gracefully (TestSupport.serving).
    func serving<T: Sendable>(_ body: (_ port: Int) async throws -> T) async throws -> T {
        try await TestSupport.serving(router(), label: "fake-bot-api", body)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/bot{token}/{method}") { request, context -> Response in
            guard context.parameters.get("token") == self.token else { return Response.json(#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#, .unauthorized) }
            let method = context.parameters.get("method") ?? ""
            let body = try await request.body.collect(upTo: 1 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
            self.state.withLock { $0.calls.append(method) }
            switch method {
            case "getUpdates": return await self.getUpdates(object)
            case "sendMessage": return self.sendMessage(object)
            case "answerCallbackQuery": return Response.json(#"{"ok":true,"result":true}"#)
            case "editMessageText", "setWebhook", "deleteWebhook": return Response.json(#"{"ok":true,"result":true}"#)
            default: return Response.json(#"{"ok":false,"error_code":404,"description":"Not Found"}"#, .notFound)
            }
        }
        return router
    }

    private func getUpdates(_ request: [String: Any]) async -> Response {
        let offset = (request["offset"] as? NSNumber)?.int64Value ?? 0
        let timeout = min(2, (request["timeout"] as? NSNumber)?.intValue ?? 0)
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            let ready = state.withLock { state -> [String] in
                if offset > 0 { state.updates.removeAll { $0.id < offset } }
                return state.updates.map(\.json)
            }
            if !ready.isEmpty || ContinuousClock.now >= deadline {
                return Response.json("{\"ok\":true,\"result\":[\(ready.joined(separator: ","))]}")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func sendMessage(_ request: [String: Any]) -> Response {
        let failure = state.withLock { $0.failures.isEmpty ? nil : $0.failures.removeFirst() }
        switch failure {
        case .tooManyRequests(let seconds):
            return Response.json(#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after \#(seconds)","parameters":{"retry_after":\#(seconds)}}"#, .tooManyRequests)
        case .serverError:
            return Response.json(#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#, .internalServerError)
        case .blocked:
            return Response.json(#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#, .forbidden)
        case nil:
            break
        }
        let chatID = "\(request["chat_id"] ?? "")"
        let markup = (request["reply_markup"] as? [String: Any])?["inline_keyboard"] as? [[[String: Any]]] ?? []
        let buttons = markup.flatMap { $0 }.map { ($0["text"] as? String ?? "", $0["callback_data"] as? String ?? "") }
        let messageID = state.withLock { state -> Int64 in
            state.nextMessageID += 1
            state.sent.append(Sent(chatID: chatID, text: request["text"] as? String ?? "", buttons: buttons, messageID: state.nextMessageID))
            return state.nextMessageID
        }
        return Response.json(#"{"ok":true,"result":{"message_id":\#(messageID),"date":1795424400,"chat":{"id":\#(chatID),"type":"private"}}}"#)
    }
}
