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
        /// A reply that went in place of the pressed question (an edit of message `messageID`): `text` is what the edit
        /// added after the question and the choice.
        var inPlace = false
        var at = ContinuousClock.now
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
        /// 400 as for a message that was deleted: it cannot be edited (a sent message would not fail this way).
        case notEditable
    }

    private struct State {
        var updates: [(id: Int64, json: String)] = []
        var nextUpdateID: Int64 = 1000
        var nextMessageID: Int64 = 1
        var sent: [Sent] = []
        /// What each message says now, after any edits.
        var texts: [Int64: String] = [:]
        /// The text of every editMessageText, in order.
        var edits: [String] = []
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
    var edits: [String] { state.withLock { $0.edits } }
    /// What message `id` says now (Telegram sends this back with a pressed button).
    func text(of id: Int64) -> String? { state.withLock { $0.texts[id] } }
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

    /// The next messages sent (sendMessage, or a reply in place of a pressed question) fail like this, in order.
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
        case "editMessageText": return editMessageText(object, instance: instance)
        case "deleteWebhook": return Response.json(#"{"ok":true,"result":true}"#)
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
        if let failure = nextFailure() { return failure }
        let chatID = "\(request["chat_id"] ?? "")"
        let text = request["text"] as? String ?? ""
        let messageID = state.withLock { state -> Int64 in
            state.nextMessageID += 1
            state.sent.append(Sent(chatID: chatID, text: text, buttons: Self.buttons(request), messageID: state.nextMessageID, instance: instance))
            state.texts[state.nextMessageID] = text
            return state.nextMessageID
        }
        return Self.message(messageID, chatID: chatID)
    }

    /// An edit that only shows the choice always succeeds; one that carries a reply (text after the question and the
    /// choice) fails like a sent message when failures are queued, and is recorded among `sent` as that reply.
    private func editMessageText(_ request: [String: Any], instance: String) -> Response {
        let chatID = "\(request["chat_id"] ?? "")"
        let messageID = (request["message_id"] as? NSNumber)?.int64Value ?? 0
        let text = request["text"] as? String ?? ""
        let reply = state.withLock { state -> String? in
            guard let old = state.texts[messageID], text.hasPrefix(old) else { return nil }
            var added = text.dropFirst(old.count)
            if added.hasPrefix("\n\n→ ") {
                added = added.range(of: "\n\n", range: added.index(added.startIndex, offsetBy: 2)..<added.endIndex).map { added[$0.upperBound...] } ?? ""
            } else if added.hasPrefix("\n\n") {
                added = added.dropFirst(2)
            }
            return added.isEmpty ? nil : String(added)
        }
        if reply != nil, let failure = nextFailure() { return failure }
        state.withLock { state in
            state.texts[messageID] = text
            state.edits.append(text)
            if let reply {
                state.sent.append(Sent(chatID: chatID, text: reply, buttons: Self.buttons(request), messageID: messageID, instance: instance, inPlace: true))
            }
        }
        return Self.message(messageID, chatID: chatID)
    }

    /// The failure queued for the next message sent, as Telegram answers it.
    private func nextFailure() -> Response? {
        switch state.withLock({ $0.failures.isEmpty ? nil : $0.failures.removeFirst() }) {
        case .tooManyRequests(let seconds):
            Response.json(#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after \#(seconds)","parameters":{"retry_after":\#(seconds)}}"#, .tooManyRequests)
        case .serverError:
            Response.json(#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#, .internalServerError)
        case .blocked:
            Response.json(#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#, .forbidden)
        case .notEditable:
            Response.json(#"{"ok":false,"error_code":400,"description":"Bad Request: message to edit not found"}"#, .badRequest)
        case nil:
            nil
        }
    }

    private static func buttons(_ request: [String: Any]) -> [(label: String, data: String)] {
        let markup = (request["reply_markup"] as? [String: Any])?["inline_keyboard"] as? [[[String: Any]]] ?? []
        return markup.flatMap { $0 }.map { ($0["text"] as? String ?? "", $0["callback_data"] as? String ?? "") }
    }

    private static func message(_ id: Int64, chatID: String) -> Response {
        Response.json(#"{"ok":true,"result":{"message_id":\#(id),"date":1795424400,"chat":{"id":\#(chatID),"type":"private"}}}"#)
    }
}
