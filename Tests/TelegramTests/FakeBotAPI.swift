import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

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

    /// Serves while `body` runs, then stops gracefully: requests under way are answered and connections closed.
    /// (Cancelling a Hummingbird server's task instead can trap in NIO when a connection was just accepted:
    /// "Deinited NIOAsyncWriter without calling finish()", apple/swift-nio#2637.)
    func serving<T: Sendable>(_ body: (_ port: Int) async throws -> T) async throws -> T {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let (groups, groupContinuation) = AsyncStream.makeStream(of: ServiceGroup.self)
        let server = Task { try await self.run(group: { groupContinuation.yield($0) }, port: { portContinuation.yield($0) }) }
        var portIterator = ports.makeAsyncIterator()
        var groupIterator = groups.makeAsyncIterator()
        guard let group = await groupIterator.next(), let port = await portIterator.next() else { throw CancellationError() }
        let result: Result<T, any Error>
        do { result = .success(try await body(port)) } catch { result = .failure(error) }
        await group.triggerGracefulShutdown()
        _ = await server.result
        return try result.get()
    }

    func run(group: (ServiceGroup) -> Void, port: @escaping @Sendable (Int) async -> Void) async throws {
        let router = Router()
        router.post("/bot{token}/{method}") { request, context -> Response in
            guard context.parameters.get("token") == self.token else { return Self.json(#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#, .unauthorized) }
            let method = context.parameters.get("method") ?? ""
            let body = try await request.body.collect(upTo: 1 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
            self.state.withLock { $0.calls.append(method) }
            switch method {
            case "getUpdates": return await self.getUpdates(object)
            case "sendMessage": return self.sendMessage(object)
            case "answerCallbackQuery": return Self.json(#"{"ok":true,"result":true}"#)
            case "editMessageText", "setWebhook", "deleteWebhook": return Self.json(#"{"ok":true,"result":true}"#)
            default: return Self.json(#"{"ok":false,"error_code":404,"description":"Not Found"}"#, .notFound)
            }
        }
        var logger = Logger(label: "fake-bot-api")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { await port($0.localAddress?.port ?? 0) }, logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        group(services)
        try await services.run()
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
                return Self.json("{\"ok\":true,\"result\":[\(ready.joined(separator: ","))]}")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func sendMessage(_ request: [String: Any]) -> Response {
        let failure = state.withLock { $0.failures.isEmpty ? nil : $0.failures.removeFirst() }
        switch failure {
        case .tooManyRequests(let seconds):
            return Self.json(#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after \#(seconds)","parameters":{"retry_after":\#(seconds)}}"#, .tooManyRequests)
        case .serverError:
            return Self.json(#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#, .internalServerError)
        case .blocked:
            return Self.json(#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#, .forbidden)
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
        return Self.json(#"{"ok":true,"result":{"message_id":\#(messageID),"date":1795424400,"chat":{"id":\#(chatID),"type":"private"}}}"#)
    }

    static func json(_ text: String, _ status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
