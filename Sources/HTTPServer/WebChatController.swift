import Conversations
import Foundation
import Hummingbird
import Logging
import SamenspraakCore
import Storage

/// The built-in web chat: the page behind an invite link, sending messages, and long-polling for replies.
/// The invite code in the URL and a random per-browser client id together identify the conversation.
public struct WebChatController: Sendable {
    let service: ConversationService
    let limiter = AttemptLimiter()
    let assets: StaticAssets
    /// How long a poll waits for a new message before answering with none.
    let pollTimeout: Duration

    public init(service: ConversationService, assets: StaticAssets, pollTimeout: Duration = .seconds(25)) {
        self.service = service
        self.assets = assets
        self.pollTimeout = pollTimeout
    }

    public func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/chat/:code") { _, _ in assets.response("chat.html") }
        router.post("/api/chat/:code/messages", use: send)
        router.get("/api/chat/:code/messages", use: poll)
    }

    struct SendRequest: Decodable {
        var client: String
        var id: String
        var text: String?
        var choice: String?
        var start: Bool?
        var language: String?
    }

    struct PolledMessage: Encodable {
        var seq: Int64
        var text: String
        var choices: [Choice]
        var language: String
        var rtl: Bool
    }

    /// Accepts one message; answers 202 once the step (and its replies) are durably stored.
    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Response {
        let code = try await checkedCode(context)
        let body = try await request.body.collect(upTo: 16 * 1024)
        let message: SendRequest
        do { message = try JSONDecoder().decode(SendRequest.self, from: body) } catch {
            throw ChatError(.badRequest, "The message is not valid JSON with 'client', 'id' and one of 'text', 'choice' or 'start'.")
        }
        guard Self.isToken(message.client), Self.isToken(message.id) else {
            throw ChatError(.badRequest, "'client' and 'id' must be 8 to 64 letters, digits or dashes.")
        }
        let platformID = "\(message.client):\(message.id)"
        let outcome: ConversationService.Outcome
        if message.start == true {
            outcome = try await service.start(channel: .webchat, address: message.client, platformMessageID: platformID, inviteCode: code,
                                              languageHint: message.language.map { String($0.prefix(16)) }, logger: context.logger)
        } else {
            let content: InboundContent
            if let choice = message.choice, choice.count <= 64 {
                content = .choice(choice)
            } else if let text = message.text {
                content = .text(text)
            } else {
                throw ChatError(.badRequest, "The message needs 'text', 'choice' or 'start'.")
            }
            let event = InboundEvent(channel: .webchat, address: message.client, platformMessageID: platformID, content: content)
            outcome = try await service.handle(event, inviteCode: code, logger: context.logger)
        }
        if outcome == .unknownSender {
            await limiter.recordFailure(context.peer)
            throw ChatError(.notFound, "This invite link is not valid. Please use the link from your invitation letter, or ask the school for a new one.")
        }
        service.monitoring.activity.record(.webchatRequest)
        return Self.json(["accepted": true], status: .accepted)
    }

    /// Returns this browser's messages after `after`, waiting up to the poll timeout for one to arrive.
    @Sendable func poll(_ request: Request, context: AppRequestContext) async throws -> Response {
        let code = try await checkedCode(context)
        guard let client = request.uri.queryParameters.get("client"), Self.isToken(client) else {
            throw ChatError(.badRequest, "'client' is missing or malformed.")
        }
        let after = request.uri.queryParameters.get("after").flatMap { Int64($0) } ?? 0
        let clock = ContinuousClock()
        let deadline = clock.now + pollTimeout
        while true {
            let seen = await service.wakeups.version(client)
            let rows = try await service.database.read { tx -> [OutboxRecord]? in
                guard let contact = try tx.contact(channel: ChannelKind.webchat.rawValue, address: client),
                      let invitee = try tx.invitee(code: code), contact.invitee == invitee else { return nil }
                return try tx.outbox(channel: ChannelKind.webchat.rawValue, address: client, after: after)
            }
            guard let rows else {
                // Not started yet (the page sends "start" first), or a client id that is not this link's household or teacher.
                if clock.now >= deadline { return Self.json(MessagesResponse(messages: [])) }
                if try await service.database.read({ try $0.invitee(code: code) }) == nil {
                    await limiter.recordFailure(context.peer)
                    throw ChatError(.notFound, "This invite link is not valid.")
                }
                await service.wakeups.wait(client, after: seen, timeout: deadline - clock.now)
                continue
            }
            if !rows.isEmpty || clock.now >= deadline {
                let pending = rows.filter { $0.status == "pending" || $0.status == "expired" }.compactMap(\.id)
                if !pending.isEmpty {
                    let now = Date()
                    try await service.database.write { try $0.markSent(outboxIDs: pending, at: now) }
                    service.monitoring.sent(pending.count, on: .webchat)
                }
                service.monitoring.activity.record(.webchatRequest)
                let decoder = JSONDecoder()
                let messages = rows.compactMap { row -> PolledMessage? in
                    guard let id = row.id, let message = try? decoder.decode(OutboundMessage.self, from: Data(row.payload.utf8)) else { return nil }
                    return PolledMessage(seq: id, text: message.text, choices: message.choices, language: message.language, rtl: message.rightToLeft)
                }
                return Self.json(MessagesResponse(messages: messages))
            }
            await service.wakeups.wait(client, after: seen, timeout: deadline - clock.now)
        }
    }

    struct MessagesResponse: Encodable { var messages: [PolledMessage] }

    /// The invite code from the path, normalised; malformed codes count as failed attempts.
    func checkedCode(_ context: AppRequestContext) async throws -> String {
        if await limiter.isBlocked(context.peer) {
            throw ChatError(.tooManyRequests, "Too many attempts with unknown invite codes. Please wait ten minutes and try again.")
        }
        guard let raw = context.parameters.get("code"), let code = InviteCode.normalise(raw) else {
            await limiter.recordFailure(context.peer)
            throw ChatError(.notFound, "This invite link is not valid. Please use the link from your invitation letter.")
        }
        return code
    }

    static func isToken(_ text: String) -> Bool {
        (8...64).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                         body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// An error answered as `{"error": reason}` with its status.
public struct ChatError: HTTPResponseError {
    public let status: HTTPResponse.Status
    public let reason: String

    public init(_ status: HTTPResponse.Status, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        WebChatController.json(["error": reason], status: status)
    }
}
