import Foundation
import Hummingbird
import NIOCore
import Synchronization
import TestSupport

/// A Telegram Bot API stand-in on 127.0.0.1: hands out queued updates through getUpdates (at most `limit`, forgetting
/// those below the offset, as Telegram does), records what the bot sends, and fails on request (429, 500, 403).
/// Several daemons can share it as one bot: each given its own API address `http://127.0.0.1:<port>/<instance>`,
/// so what each of them asked and sent is told apart; `emulatesConflicts` makes a second getUpdates end the one
/// still open with 409, as Telegram does when two instances poll.
final class FakeBotAPI: Sendable {
    struct Sent: Sendable {
        var chatID: String
        var text: String
        /// Each button's label and callback data, one per row.
        var buttons: [(label: String, data: String)]
        var messageID: Int64
        /// The instance that sent it ("" without an instance prefix in the address).
        var instance = ""
    }

    /// One Bot API request: which instance made it, which method, and when it came.
    struct Call: Sendable {
        var instance: String
        var method: String
        var at: ContinuousClock.Instant
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
        var instanceCalls: [Call] = []
        /// Every update a getUpdates answer carried.
        var handedOut: Set<Int64> = []
        /// The highest offset a getUpdates asked with: every update below it is confirmed.
        var confirmedOffset: Int64 = 0
        /// Counts getUpdates requests; an open one whose number is no longer the latest was ended by a newer one.
        var pollGeneration = 0
        /// The secret of each setWebhook, in order, and who set it; Telegram sends the latest one.
        var webhookSecrets: [(instance: String, secret: String)] = []
    }

    private let state = Mutex(State())
    let token = "123456:TEST-token"
    let emulatesConflicts: Bool

    init(emulatesConflicts: Bool = false) {
        self.emulatesConflicts = emulatesConflicts
    }

    var sent: [Sent] { state.withLock { $0.sent } }
    var calls: [String] { state.withLock { $0.calls } }
    var instanceCalls: [Call] { state.withLock { $0.instanceCalls } }
    var handedOut: Set<Int64> { state.withLock { $0.handedOut } }
    var confirmedOffset: Int64 { state.withLock { $0.confirmedOffset } }
    var webhookSecrets: [(instance: String, secret: String)] { state.withLock { $0.webhookSecrets } }

    /// Webhook mode: takes every queued update out, oldest first, for the test to POST as Telegram would.
    func takeUpdates() -> [(id: Int64, json: String)] {
        state.withLock { state in
            defer { state.updates.removeAll() }
            return state.updates
        }
    }

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
        router.post("/bot{token}/{method}") { request, context -> Response in try await self.handle(request, context, instance: "") }
        router.post("/{instance}/bot{token}/{method}") { request, context -> Response in
            try await self.handle(request, context, instance: context.parameters.get("instance") ?? "")
        }
        return router
    }

    private func handle(_ request: Request, _ context: BasicRequestContext, instance: String) async throws -> Response {
        guard context.parameters.get("token") == self.token else { return Response.json(#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#, .unauthorized) }
        let method = context.parameters.get("method") ?? ""
        let body = try await request.body.collect(upTo: 1 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        state.withLock {
            $0.calls.append(method)
            $0.instanceCalls.append(Call(instance: instance, method: method, at: .now))
        }
        switch method {
        case "getUpdates": return await getUpdates(object)
        case "sendMessage": return sendMessage(object, instance: instance)
        case "answerCallbackQuery": return Response.json(#"{"ok":true,"result":true}"#)
        case "setWebhook":
            let secret = object["secret_token"] as? String ?? ""
            state.withLock { $0.webhookSecrets.append((instance, secret)) }
            return Response.json(#"{"ok":true,"result":true}"#)
        case "editMessageText", "deleteWebhook": return Response.json(#"{"ok":true,"result":true}"#)
        default: return Response.json(#"{"ok":false,"error_code":404,"description":"Not Found"}"#, .notFound)
        }
    }

    private func getUpdates(_ request: [String: Any]) async -> Response {
        let offset = (request["offset"] as? NSNumber)?.int64Value ?? 0
        let timeout = min(2, (request["timeout"] as? NSNumber)?.intValue ?? 0)
        let limit = min(100, max(1, (request["limit"] as? NSNumber)?.intValue ?? 100))
        let deadline = ContinuousClock.now + .seconds(timeout)
        let generation = state.withLock { state -> Int in
            state.pollGeneration += 1
            state.confirmedOffset = max(state.confirmedOffset, offset)
            return state.pollGeneration
        }
        while true {
            let ready = state.withLock { state -> [(id: Int64, json: String)]? in
                if emulatesConflicts, state.pollGeneration != generation { return nil }
                if offset > 0 { state.updates.removeAll { $0.id < offset } }
                let batch = Array(state.updates.prefix(limit))
                state.handedOut.formUnion(batch.map(\.id))
                return batch
            }
            guard let ready else {
                return Response.json(#"{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}"#, .conflict)
            }
            if !ready.isEmpty || ContinuousClock.now >= deadline {
                return Response.json("{\"ok\":true,\"result\":[\(ready.map(\.json).joined(separator: ","))]}")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func sendMessage(_ request: [String: Any], instance: String = "") -> Response {
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
            state.sent.append(Sent(chatID: chatID, text: request["text"] as? String ?? "", buttons: buttons, messageID: state.nextMessageID, instance: instance))
            return state.nextMessageID
        }
        return Response.json(#"{"ok":true,"result":{"message_id":\#(messageID),"date":1795424400,"chat":{"id":\#(chatID),"type":"private"}}}"#)
    }
}
