import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SamenspraakCore

/// What went wrong with a Bot API call, sorted by what the caller should do about it.
public enum BotAPIError: Error, Equatable, CustomStringConvertible {
    /// 429: wait this many seconds, then try again.
    case rateLimited(retryAfter: Int)
    /// 403: the user blocked the bot (or never started it); do not try again.
    case blocked(String)
    /// Another 4xx: the request itself is wrong; trying again would fail the same way.
    case rejected(Int, String)
    /// 5xx, a timeout or a network error: try again later.
    case unavailable(String)

    public var description: String {
        switch self {
        case .rateLimited(let seconds): "rate limited for \(seconds) s"
        case .blocked(let reason): "blocked: \(reason)"
        case .rejected(let code, let reason): "rejected (\(code)): \(reason)"
        case .unavailable(let reason): "unavailable: \(reason)"
        }
    }
}

/// Calls the Bot API over HTTPS. The token is part of every URL, so URLs are never logged or put in errors.
public struct BotAPIClient: Sendable {
    let http: HTTPClient
    let baseURL: String
    let token: String

    /// `baseURL` is https://api.telegram.org, or a local Bot API server, or a test server.
    public init(http: HTTPClient, baseURL: String, token: String) {
        self.http = http
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    /// Long polling: waits up to `timeout` seconds for at most `limit` updates (1…100) after `offset`; confirms all
    /// before `offset`.
    public func getUpdates(offset: Int64, limit: Int = 100, timeout: Int) async throws -> [Update] {
        try await call("getUpdates", BotAPIBody.getUpdates(offset: offset, limit: min(100, max(1, limit)), timeout: timeout),
                       wait: .seconds(Int64(timeout) + 10))
    }

    /// Asks Telegram to POST updates to `url`, with `secret` in every request's secret-token header.
    public func setWebhook(url: String, secret: String) async throws {
        try await callForSuccess("setWebhook", BotAPIBody.setWebhook(url: url, secret: secret))
    }

    /// Back to long polling (getUpdates refuses to work while a webhook is set).
    public func deleteWebhook() async throws {
        try await callForSuccess("deleteWebhook", BotAPIBody.deleteWebhook)
    }

    /// Sends a text, with buttons if given; returns Telegram's message id.
    public func sendMessage(chatID: String, text: String, keyboard: InlineKeyboardMarkup?) async throws -> Int64 {
        let sent: SentMessage = try await call("sendMessage", BotAPIBody.sendMessage(chatID: chatID, text: text, keyboard: keyboard))
        return sent.messageID
    }

    /// Stops the button's loading spinner in the app. Given up after a few seconds: a spinner answered later is of no use,
    /// and the update's handling waits for it.
    public func answerCallbackQuery(id: String) async throws {
        try await callForSuccess("answerCallbackQuery", BotAPIBody.answerCallbackQuery(id: id), wait: Self.bestEffortWait)
    }

    /// Replaces a sent message's text and its buttons (none without `keyboard`), so an old question cannot be answered
    /// twice. `wait`: a reply that goes this way waits as long as a sent one; only showing the choice is given up sooner.
    public func editMessageText(chatID: String, messageID: Int64, text: String, keyboard: InlineKeyboardMarkup? = nil,
                                wait: TimeAmount = BotAPIClient.bestEffortWait) async throws {
        try await callForSuccess("editMessageText", BotAPIBody.editMessageText(chatID: chatID, messageID: messageID, text: text, keyboard: keyboard),
                                 wait: wait)
    }

    public static let bestEffortWait = TimeAmount.seconds(5)

    /// How long a sent message may take.
    static let sendWait = TimeAmount.seconds(20)

    /// `body`: the method's parameters as JSON (`BotAPIBody`).
    func call<Result: Decodable>(_ method: String, _ body: String, wait: TimeAmount = sendWait) async throws -> Result {
        let (status, bytes) = try await send(method, body, wait: wait)
        if let decoded = try? JSONDecoder().decode(APIResponse<Result>.self, from: Data(bytes)), decoded.ok, let result = decoded.result { return result }
        throw failure(method, status: status, bytes: bytes)
    }

    /// For a method whose result is not used: success is `"ok":true`, read without decoding the answer.
    func callForSuccess(_ method: String, _ body: String, wait: TimeAmount = sendWait) async throws {
        let (status, bytes) = try await send(method, body, wait: wait)
        guard status == 200, BotAPIAnswer.isOK(bytes) else { throw failure(method, status: status, bytes: bytes) }
    }

    /// POSTs the method's parameters; the answer's status and body, whatever they say.
    private func send(_ method: String, _ body: String, wait: TimeAmount) async throws -> (status: UInt, bytes: [UInt8]) {
        var request = HTTPClientRequest(url: "\(baseURL)/bot\(token)/\(method)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await http.execute(request, timeout: wait)
            let bytes = try await response.body.collect(upTo: 8 * 1024 * 1024)
            return (response.status.code, Array(bytes.readableBytesView))
        } catch {
            // Network errors can name the host but never carry the URL path with the token.
            throw BotAPIError.unavailable("\(method): \(type(of: error))")
        }
    }

    /// What an answer other than success means for the caller.
    private func failure(_ method: String, status: UInt, bytes: [UInt8]) -> BotAPIError {
        let decoded = try? JSONDecoder().decode(APIResponse<Ignored>.self, from: Data(bytes))
        let code = decoded?.errorCode ?? Int(status)
        let reason = "\(method): \(decoded?.description ?? "HTTP \(status)")"
        switch code {
        case 429: return .rateLimited(retryAfter: max(1, decoded?.parameters?.retryAfter ?? 1))
        case 403: return .blocked(reason)
        case 400..<500: return .rejected(code, reason)
        default: return .unavailable(reason)
        }
    }
}

/// The methods' parameters as JSON, written by hand: under load JSONEncoder took 2.5 % of the daemon's CPU for these
/// few fields (`BotAPIBodyTests` reads them back).
enum BotAPIBody {
    static let allowedUpdates = #"["message","edited_message","callback_query","my_chat_member"]"#

    static func getUpdates(offset: Int64, limit: Int, timeout: Int) -> String {
        #"{"offset":\#(offset),"limit":\#(limit),"timeout":\#(timeout),"allowed_updates":\#(allowedUpdates)}"#
    }

    static func setWebhook(url: String, secret: String) -> String {
        #"{"url":\#(url.jsonQuoted),"secret_token":\#(secret.jsonQuoted),"allowed_updates":\#(allowedUpdates)}"#
    }

    static let deleteWebhook = #"{"drop_pending_updates":false}"#

    static func sendMessage(chatID: String, text: String, keyboard: InlineKeyboardMarkup?) -> String {
        let markup = keyboard.map { #","reply_markup":\#($0.json)"# } ?? ""
        return #"{"chat_id":\#(chatID.jsonQuoted),"text":\#(text.jsonQuoted)\#(markup)}"#
    }

    static func answerCallbackQuery(id: String) -> String { #"{"callback_query_id":\#(id.jsonQuoted)}"# }

    /// A method with its parameters as the answer to a webhook request, for Telegram to run.
    static func inWebhookAnswer(_ method: String, _ parameters: String) -> String {
        #"{"method":\#(method.jsonQuoted),"# + parameters.dropFirst()
    }

    static func editMessageText(chatID: String, messageID: Int64, text: String, keyboard: InlineKeyboardMarkup? = nil) -> String {
        let markup = keyboard.map { #","reply_markup":\#($0.json)"# } ?? ""
        return #"{"chat_id":\#(chatID.jsonQuoted),"message_id":\#(messageID),"text":\#(text.jsonQuoted)\#(markup)}"#
    }
}

extension InlineKeyboardMarkup {
    /// `{"inline_keyboard":[[{"text":…,"callback_data":…}],…]}`
    var json: String {
        let rows = inlineKeyboard.map { row in
            "[" + row.map { button in
                #"{"text":\#(button.text.jsonQuoted)"# + (button.callbackData.map { #","callback_data":\#($0.jsonQuoted)"# } ?? "") + "}"
            }.joined(separator: ",") + "]"
        }
        return #"{"inline_keyboard":["# + rows.joined(separator: ",") + "]}"
    }
}

private struct SentMessage: Decodable {
    var messageID: Int64
    enum CodingKeys: String, CodingKey { case messageID = "message_id" }
}

/// A result that is not read (any JSON value).
private struct Ignored: Decodable {
    init(from decoder: any Decoder) throws {}
}
