import AsyncHTTPClient
import ChannelKit
import Foundation
import NIOCore
import NIOHTTP1

/// An error the Graph API answered with (or a network failure, `code` nil), sorted by what the sender does about it.
public struct GraphAPIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The HTTP status (0: no answer).
    public var status: Int
    /// Meta's error code (131047, 130429 …), when the answer had one.
    public var code: Int?
    public var reason: String

    /// More than 24 hours since the person last wrote: only a template may be sent.
    public static let reEngagement = 131047
    /// The phone number's throughput is used up.
    public static let throughputLimit = 130429
    /// Too many messages to this one person in a short time.
    public static let pairRateLimit = 131056

    public var description: String { "WhatsApp \(code.map { "error \($0)" } ?? "HTTP \(status)"): \(reason)" }

    /// What the outbox sender does about it.
    public var delivery: DeliveryFailure {
        switch code {
        case Self.throughputLimit, 80007, 4: return .rateLimited(retryAfter: nil, scope: .channel, reason: description)
        case Self.pairRateLimit: return .rateLimited(retryAfter: nil, scope: .recipient, reason: description)
        // Meta's own trouble ("something went wrong", "service unavailable"), and an expired or wrong access token,
        // which the school fixes and then the messages should still go.
        case 1, 2, 131000, 131016, 133004, 190: return .unavailable(description)
        default: break
        }
        switch status {
        case 429: return .rateLimited(retryAfter: nil, scope: .channel, reason: description)
        case 401: return .unavailable(description)
        case 400..<500: return .rejected(description)
        default: return .unavailable(description)
        }
    }
}

/// Sends messages through the Graph API. The access token goes in the Authorization header only and is never logged
/// or put in an error.
public struct GraphAPIClient: Sendable {
    let http: HTTPClient
    let baseURL: String
    let version: String
    let phoneNumberID: String
    let token: String

    /// `baseURL` is https://graph.facebook.com or a test server; `version` such as "v23.0".
    public init(http: HTTPClient, baseURL: String, version: String, phoneNumberID: String, token: String) {
        self.http = http
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.version = version
        self.phoneNumberID = phoneNumberID
        self.token = token
    }

    /// Sends one message; returns its id ("wamid.…"), which status callbacks name.
    func send(_ message: GraphMessage) async throws(GraphAPIError) -> String {
        var request = HTTPClientRequest(url: "\(baseURL)/\(version)/\(phoneNumberID)/messages")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(message)))
            response = try await http.execute(request, timeout: .seconds(20))
            bytes = try await response.body.collect(upTo: 1024 * 1024)
        } catch {
            throw GraphAPIError(status: 0, code: nil, reason: "\(type(of: error))")
        }
        let data = Data(bytes.readableBytesView)
        if (200..<300).contains(response.status.code), let sent = try? JSONDecoder().decode(SendResponse.self, from: data), let id = sent.messages.first?.id {
            return id
        }
        let detail = try? JSONDecoder().decode(ErrorResponse.self, from: data).error
        throw GraphAPIError(status: Int(response.status.code), code: detail?.code, reason: detail?.reason ?? "HTTP \(response.status.code)")
    }
}
