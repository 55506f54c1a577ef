import AsyncHTTPClient
import ChannelKit
import Foundation
import NIOCore
import NIOHTTP1
import SamenspraakCore

/// What went wrong with a client-server API call, sorted by what the caller should do about it. Reasons carry the
/// endpoint, the HTTP status and Matrix's errcode only: Matrix's own error texts can name rooms and users.
public enum MatrixError: Error, Equatable, CustomStringConvertible {
    /// M_LIMIT_EXCEEDED (or 429): wait this long (`retry_after_ms`), then try again.
    case rateLimited(retryAfter: Duration?, String)
    /// M_FORBIDDEN: we are not (or no longer) in the room: kicked, banned, or the room is gone.
    case forbidden(String)
    /// The access token is not (or no longer) valid.
    case unauthorised(String)
    /// Another 4xx: the request itself is wrong; trying again would fail the same way.
    case rejected(Int, String)
    /// 5xx, a timeout, a network error or an answer that is not what the API promises: try again later.
    case unavailable(String)

    public var description: String {
        switch self {
        case .rateLimited(let wait, let reason): wait.map { "rate limited for \($0): \(reason)" } ?? "rate limited: \(reason)"
        case .forbidden(let reason): "forbidden: \(reason)"
        case .unauthorised(let reason): "unauthorised: \(reason)"
        case .rejected(let status, let reason): "rejected (\(status)): \(reason)"
        case .unavailable(let reason): "unavailable: \(reason)"
        }
    }

    /// What the outbox sender does about it.
    public var delivery: DeliveryFailure {
        switch self {
        case .rateLimited(let wait, _): .rateLimited(retryAfter: wait, scope: .channel, reason: description)
        case .forbidden: .blocked(description)
        case .rejected: .rejected(description)
        // A token that expired is replaced by logging in again (with a password); the message waits for that.
        case .unauthorised, .unavailable: .unavailable(description)
        }
    }
}

/// How the bot proves who it is: a password it logs in with (`m.login.password`, again whenever the homeserver forgets
/// the token) or an access token made elsewhere.
public enum MatrixCredentials: Sendable {
    case password(String)
    case accessToken(String)
}

/// Calls a homeserver's client-server API (https://spec.matrix.org/v1.11/client-server-api/) over AsyncHTTPClient.
/// The access token travels in the Authorization header; neither it nor room or user ids are put into errors.
public final class MatrixClient: Sendable {
    let http: HTTPClient
    let baseURL: String
    /// The bot's own user id ("@samenspraak:school.nl"): its own messages are ignored.
    public let userID: String
    let credentials: MatrixCredentials
    let token: TokenBox

    /// The device the bot logs in as, the same at every start, so the homeserver keeps one device for it (and parents'
    /// clients keep trusting its encryption keys).
    public static let deviceID = "SAMENSPRAAK"

    public init(http: HTTPClient, homeserver: String, userID: String, credentials: MatrixCredentials) {
        self.http = http
        self.baseURL = homeserver.hasSuffix("/") ? String(homeserver.dropLast()) : homeserver
        self.userID = userID
        self.credentials = credentials
        if case .accessToken(let given) = credentials { token = TokenBox(given) } else { token = TokenBox(nil) }
    }

    // MARK: - Endpoints

    /// `POST /login` with the password; keeps the access token for the calls that follow.
    public func login() async throws {
        guard case .password(let password) = credentials else { return }
        let body = LoginRequest(identifier: .init(user: userID), password: password, deviceID: Self.deviceID)
        let answer: LoginResponse = try await call(.POST, "/_matrix/client/v3/login", body: body, authorised: false, what: "login")
        token.set(answer.accessToken)
    }

    /// `GET /sync`: waits up to `timeout` for anything after `since` (everything recent when nil).
    public func sync(since: String?, timeout: Duration, filter: String = MatrixClient.syncFilter) async throws -> SyncResponse {
        var query = "timeout=\(timeout.wholeMilliseconds)&filter=\(Self.encode(filter))"
        if let since { query += "&since=\(Self.encode(since))" }
        return try await call(.GET, "/_matrix/client/v3/sync?" + query, body: Optional<Empty>.none, what: "sync", wait: timeout + .seconds(15))
    }

    /// `POST /join/{roomId}`: accepts an invitation.
    public func join(room: String) async throws {
        let _: Ignored = try await call(.POST, "/_matrix/client/v3/join/\(Self.encode(room))", body: Empty(), what: "join")
    }

    /// `POST /rooms/{roomId}/leave`: declines an invitation or leaves a room.
    public func leave(room: String) async throws {
        let _: Ignored = try await call(.POST, "/_matrix/client/v3/rooms/\(Self.encode(room))/leave", body: Empty(), what: "leave")
    }

    /// `GET /rooms/{roomId}/joined_members`: how many are in the room.
    public func joinedMemberCount(room: String) async throws -> Int {
        let members: JoinedMembers = try await call(.GET, "/_matrix/client/v3/rooms/\(Self.encode(room))/joined_members", body: Optional<Empty>.none,
                                                    what: "joined_members")
        return members.joined.count
    }

    /// `PUT /rooms/{roomId}/send/m.room.message/{txnId}`: the same transaction id sends the message at most once, so a
    /// retry (or a second attempt after a crash) cannot post it twice. Returns the event id.
    public func send(room: String, content: MessageContent, transactionID: String) async throws -> String {
        let path = "/_matrix/client/v3/rooms/\(Self.encode(room))/send/m.room.message/\(Self.encode(transactionID))"
        let sent: SentEvent = try await call(.PUT, path, body: content, what: "send")
        return sent.eventID
    }

    // MARK: - End-to-end encryption

    /// `GET /account/whoami`: the device an access token made elsewhere belongs to.
    public func whoAmI() async throws -> (userID: String, deviceID: String?) {
        let answer: JSONValue = try await call(.GET, "/_matrix/client/v3/account/whoami", body: Optional<Empty>.none, what: "whoami")
        return (answer["user_id"]?.string ?? userID, answer["device_id"]?.string)
    }

    /// `POST /keys/upload`: device keys and one-time keys; answers how many one-time keys the homeserver holds.
    func uploadKeys(_ body: JSONValue) async throws -> Int {
        let answer: JSONValue = try await call(.POST, "/_matrix/client/v3/keys/upload", body: body, what: "keys/upload")
        return Int(answer["one_time_key_counts"]?["signed_curve25519"]?.int ?? 0)
    }

    /// `POST /keys/query`: the devices of these users.
    func queryKeys(of users: [String]) async throws -> JSONValue {
        let body: JSONValue = ["device_keys": .object(Dictionary(uniqueKeysWithValues: users.map { ($0, JSONValue.array([])) }))]
        return try await call(.POST, "/_matrix/client/v3/keys/query", body: body, what: "keys/query")
    }

    /// `POST /keys/claim`: one signed one-time key of each device, to start an Olm session with it.
    func claimKeys(_ devices: [(userID: String, deviceID: String)]) async throws -> JSONValue {
        var wanted: [String: JSONValue] = [:]
        for device in devices { wanted[device.userID, default: .object([:])][device.deviceID] = "signed_curve25519" }
        return try await call(.POST, "/_matrix/client/v3/keys/claim", body: ["one_time_keys": .object(wanted)] as JSONValue, what: "keys/claim")
    }

    /// `PUT /sendToDevice/{eventType}/{txnId}`: messages to devices (user → device → content).
    func sendToDevice(type: String, messages: [String: [String: JSONValue]], transactionID: String) async throws {
        let body: JSONValue = ["messages": .object(messages.mapValues { .object($0) })]
        let _: Ignored = try await call(.PUT, "/_matrix/client/v3/sendToDevice/\(Self.encode(type))/\(Self.encode(transactionID))", body: body, what: "sendToDevice")
    }

    /// `PUT /rooms/{roomId}/send/{eventType}/{txnId}` for any event type (m.room.encrypted), idempotent like `send`.
    func sendEvent(room: String, type: String, content: JSONValue, transactionID: String) async throws -> String {
        let path = "/_matrix/client/v3/rooms/\(Self.encode(room))/send/\(Self.encode(type))/\(Self.encode(transactionID))"
        let sent: SentEvent = try await call(.PUT, path, body: content, what: "send")
        return sent.eventID
    }

    /// `GET /rooms/{roomId}/state/{eventType}/`: a state event's content; nil when the room has none (404).
    func roomState(room: String, type: String) async throws -> JSONValue? {
        do {
            return try await call(.GET, "/_matrix/client/v3/rooms/\(Self.encode(room))/state/\(Self.encode(type))/", body: Optional<Empty>.none, what: "state")
        } catch MatrixError.rejected(404, _) {
            return nil
        }
    }

    /// `GET /rooms/{roomId}/joined_members`: who is in the room.
    func joinedMembers(room: String) async throws -> [String] {
        let members: JoinedMembers = try await call(.GET, "/_matrix/client/v3/rooms/\(Self.encode(room))/joined_members", body: Optional<Empty>.none,
                                                    what: "joined_members")
        return members.joined.keys.sorted()
    }

    // MARK: - Calls

    /// Only what the bot reads: room messages and memberships, no presence, receipts, typing or account data.
    /// Encrypted messages (m.room.encrypted) and a room's encryption settings (m.room.encryption) for end-to-end encryption.
    public static let syncFilter = #"{"presence":{"not_types":["*"]},"account_data":{"not_types":["*"]},"room":{"timeline":{"limit":50,"types":["m.room.message","m.room.member","m.room.encrypted","m.room.encryption"]},"state":{"lazy_load_members":true,"types":["m.room.member","m.room.encryption"]},"ephemeral":{"not_types":["*"]},"account_data":{"not_types":["*"]}}}"#

    static func encode(_ part: String) -> String {
        part.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? part
    }

    func call<Body: Encodable, Result: Decodable>(_ method: HTTPMethod, _ path: String, body: Body?, authorised: Bool = true, what: String,
                                                  wait: Duration = .seconds(30)) async throws -> Result {
        if authorised, token.get() == nil { try await login() }
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if authorised, let current = token.get() { request.headers.add(name: "Authorization", value: "Bearer \(current)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .milliseconds(wait.wholeMilliseconds))
            bytes = try await response.body.collect(upTo: 32 * 1024 * 1024)
        } catch {
            // Network errors may name the host, never the path (room ids) or the token.
            throw MatrixError.unavailable("\(what): \(type(of: error))")
        }
        let status = Int(response.status.code)
        let data = Data(bytes.readableBytesView)
        if (200..<300).contains(status) {
            do { return try JSONDecoder().decode(Result.self, from: data) } catch {
                throw MatrixError.unavailable("\(what): an answer that is not the API's (\(Self.decodingProblem(error)))")
            }
        }
        let failure = try? JSONDecoder().decode(ErrorResponse.self, from: data)
        let code = failure?.errcode ?? "HTTP \(status)"
        let reason = "\(what): \(code) (\(status))"
        if code == "M_LIMIT_EXCEEDED" || status == 429 {
            let header = response.headers.first(name: "Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
            throw MatrixError.rateLimited(retryAfter: failure?.retryAfterMS.map { .milliseconds($0) } ?? header, reason)
        }
        if code == "M_UNKNOWN_TOKEN" || code == "M_MISSING_TOKEN" || status == 401 {
            // With a password, the next call logs in again.
            if case .password = credentials { token.set(nil) }
            throw MatrixError.unauthorised(reason)
        }
        switch status {
        case 403: throw MatrixError.forbidden(reason)
        case 400..<500: throw MatrixError.rejected(status, reason)
        default: throw MatrixError.unavailable(reason)
        }
    }

    /// Where a body did not fit, without its values.
    static func decodingProblem(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(type(of: error))" }
        switch error {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            // Coding paths of a sync name rooms: only their depth is told.
            return "not decodable at depth \(context.codingPath.count)"
        @unknown default:
            return "not decodable"
        }
    }
}

/// The access token, replaced when the bot logs in again.
final class TokenBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?

    init(_ value: String?) { self.value = value }

    func get() -> String? { lock.withLock { value } }
    func set(_ new: String?) { lock.withLock { value = new } }
}

struct Empty: Codable {}

/// Any JSON object: the answer's contents are not needed.
struct Ignored: Decodable {
    init(from decoder: any Decoder) throws {}
}

struct LoginRequest: Encodable {
    struct Identifier: Encodable {
        var type = "m.id.user"
        var user: String
    }

    var type = "m.login.password"
    var identifier: Identifier
    var password: String
    var deviceID: String
    var initialDeviceDisplayName = "Samenspraak"

    enum CodingKeys: String, CodingKey {
        case type, identifier, password, deviceID = "device_id", initialDeviceDisplayName = "initial_device_display_name"
    }
}

struct LoginResponse: Decodable {
    var accessToken: String
    enum CodingKeys: String, CodingKey { case accessToken = "access_token" }
}

struct JoinedMembers: Decodable {
    var joined: [String: Ignored]
}

struct SentEvent: Decodable {
    var eventID: String
    enum CodingKeys: String, CodingKey { case eventID = "event_id" }
}

struct ErrorResponse: Decodable {
    var errcode: String?
    var retryAfterMS: Int64?
    enum CodingKeys: String, CodingKey { case errcode, retryAfterMS = "retry_after_ms" }
}
