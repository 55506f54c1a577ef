import Foundation
import Hummingbird
import NIOCore
import Synchronization
import TestSupport

/// A Matrix homeserver's client-server API on 127.0.0.1, as much as the bot uses: password login, `/sync` long
/// polling over a growing event log (next_batch "s<position>"), invitations, join, leave, joined members, and sending
/// with transaction ids (a repeated id gives the same event, not a second one). Sends and syncs fail on request with
/// Matrix's error bodies (M_LIMIT_EXCEEDED with retry_after_ms, 500, M_FORBIDDEN).
final class FakeHomeserver: Sendable {
    static let bot = "@samenspraak:school.example"
    static let password = "correct horse battery staple"
    static let token = "syt_c2FtZW5zcHJhYWs_SECRETtokenVALUE_0a1b2c"
    /// The device the access token was made for (elsewhere).
    static let tokenDevice = "TOKENAPPARAAT"

    struct Sent: Sendable {
        var room: String
        var body: String
        var formattedBody: String?
        var transactionID: String
        var eventID: String
    }

    enum Fault: Sendable {
        case rateLimited(milliseconds: Int)
        case serverError
        case forbidden
        /// This body with status 200 (a sync only).
        case body(String)
    }

    private struct Room {
        var members: Set<String> = []
        var invited: Set<String> = []
    }

    private struct State {
        /// Position → JSON of the sync answer's parts: (room, timeline event) or (room, invite).
        var log: [(room: String, kind: Kind)] = []
        var rooms: [String: Room] = [:]
        var sent: [Sent] = []
        var transactions: [String: String] = [:]
        var sendRequests: [String] = []
        var sendFaults: [Fault] = []
        var syncFaults: [Fault] = []
        var sinces: [String?] = []
        var logins = 0
        var joins: [String] = []
        var leaves: [String] = []
        var nextEvent = 0
        var tokenValid = true
        /// End-to-end encryption: the bot's uploaded device keys and one-time keys (JSON), how often it uploaded.
        var deviceKeys: String?
        var oneTimeKeys: [String] = []
        var keyUploads = 0
        /// Encrypted rooms (their m.room.encryption content), others' devices (user → device id → keys JSON) and their
        /// one-time keys (user/device → key JSON), what the bot sent to devices and as m.room.encrypted.
        var encryption: [String: String] = [:]
        var devices: [String: [String: String]] = [:]
        var othersOneTimeKeys: [String: [String]] = [:]
        var toDeviceSent: [String] = []
        var encryptedSent: [EncryptedSent] = []
        var keyQueries = 0
    }

    struct EncryptedSent: Sendable {
        var room: String
        var content: String
        var transactionID: String
    }

    enum Kind {
        case event(String)
        case invite(inviter: String, direct: Bool)
        /// A to-device event for the bot (the room is empty).
        case toDevice(String)
        /// A user's devices changed (device_lists.changed).
        case deviceChange(String)
    }

    private let state = Mutex(State())

    var sent: [Sent] { state.withLock { $0.sent } }
    /// The transaction id of every send request, repeats included.
    var sendRequests: [String] { state.withLock { $0.sendRequests } }
    /// The `since` of every sync request, in order.
    var sinces: [String?] { state.withLock { $0.sinces } }
    var logins: Int { state.withLock { $0.logins } }
    var joins: [String] { state.withLock { $0.joins } }
    var leaves: [String] { state.withLock { $0.leaves } }
    var position: Int { state.withLock { $0.log.count } }
    var deviceKeys: String? { state.withLock { $0.deviceKeys } }
    var keyUploads: Int { state.withLock { $0.keyUploads } }
    var oneTimeKeyCount: Int { state.withLock { $0.oneTimeKeys.count } }

    /// `/keys/claim` for a parent's device: one of the bot's one-time keys, gone from the homeserver once claimed.
    func claimOneTimeKey() -> String? { state.withLock { $0.oneTimeKeys.isEmpty ? nil : $0.oneTimeKeys.removeFirst() } }

    /// A to-device event for the bot (an Olm-encrypted room key).
    func sendToDevice(_ json: String) { state.withLock { $0.log.append(("", .toDevice(json))) } }

    var toDeviceSent: [String] { state.withLock { $0.toDeviceSent } }
    var encryptedSent: [EncryptedSent] { state.withLock { $0.encryptedSent } }
    var keyQueries: Int { state.withLock { $0.keyQueries } }

    /// The room gets m.room.encryption with this content.
    func encrypt(room: String, content: String) { state.withLock { $0.encryption[room] = content } }

    /// A device of another user (its signed keys JSON) with its signed one-time keys; `announce`: /sync tells the bot.
    func addDevice(user: String, deviceID: String, keys: String, oneTimeKeys: [String], announce: Bool) {
        state.withLock {
            $0.devices[user, default: [:]][deviceID] = keys
            $0.othersOneTimeKeys[user + "/" + deviceID, default: []] += oneTimeKeys
            if announce { $0.log.append(("", .deviceChange(user))) }
        }
    }

    /// The homeserver forgets the bot's access token (logged out elsewhere, or expired).
    func forgetToken() { state.withLock { $0.tokenValid = false } }

    func failNextSends(_ faults: [Fault]) { state.withLock { $0.sendFaults += faults } }
    func failNextSyncs(_ faults: [Fault]) { state.withLock { $0.syncFaults += faults } }

    /// `inviter` creates a room and invites the bot.
    func invite(room: String, from inviter: String, direct: Bool = true) {
        state.withLock {
            $0.rooms[room, default: Room()].members.insert(inviter)
            $0.rooms[room, default: Room()].invited.insert(Self.bot)
            $0.log.append((room, .invite(inviter: inviter, direct: direct)))
        }
    }

    /// Someone joins a room.
    func join(room: String, _ user: String) {
        state.withLock { state in
            state.rooms[room, default: Room()].members.insert(user)
            return
        }
    }

    /// The bot is kicked out of a room.
    func kickBot(room: String) {
        state.withLock { state in
            state.rooms[room]?.members.remove(Self.bot)
            return
        }
    }

    /// `sender` writes in a room; returns the event id. `eventID` to repeat one.
    @discardableResult
    func say(_ body: String, in room: String, from sender: String, msgtype: String = "m.text", eventID: String? = nil) -> String {
        state.withLock { state in
            state.nextEvent += 1
            let id = eventID ?? "$event\(state.nextEvent)_AbCdEf"
            state.log.append((room, .event(Self.messageJSON(id: id, sender: sender, msgtype: msgtype, body: body))))
            return id
        }
    }

    /// An event of any shape, as raw JSON, in a room's timeline.
    func rawEvent(_ json: String, in room: String) { state.withLock { $0.log.append((room, .event(json))) } }

    static func messageJSON(id: String, sender: String, msgtype: String, body: String) -> String {
        let content = try! JSONSerialization.data(withJSONObject: ["msgtype": msgtype, "body": body])
        return #"{"type":"m.room.message","event_id":"\#(id)","sender":"\#(sender)","origin_server_ts":1795424400000,"unsigned":{"age":12},"content":\#(String(decoding: content, as: UTF8.self))}"#
    }

    func serving<T: Sendable>(_ body: (_ port: Int) async throws -> T) async throws -> T {
        try await TestSupport.serving(router(), label: "fake-homeserver", body)
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil) -> Response {
        var body = #"{"errcode":"\#(code)","error":"\#(message)""#
        if let retryAfter { body += #","retry_after_ms":\#(retryAfter)"# }
        return .json(body + "}", status)
    }

    static func room(_ context: BasicRequestContext) -> String {
        let raw = context.parameters.get("room") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/_matrix/client/v3/login") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 16)
            guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any], json["type"] as? String == "m.login.password",
                  (json["identifier"] as? [String: Any])?["user"] as? String == Self.bot, json["password"] as? String == Self.password else {
                return Self.error(.forbidden, "M_FORBIDDEN", "Invalid username or password")
            }
            self.state.withLock {
                $0.logins += 1
                $0.tokenValid = true
            }
            return .json(#"{"user_id":"\#(Self.bot)","access_token":"\#(Self.token)","device_id":"\#(json["device_id"] as? String ?? "X")","home_server":"school.example"}"#)
        }
        router.get("/_matrix/client/v3/sync") { request, _ -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            return try await self.sync(request)
        }
        router.post("/_matrix/client/v3/join/{room}") { request, context -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            let room = Self.room(context)
            return self.state.withLock { state in
                guard state.rooms[room]?.invited.contains(Self.bot) == true || state.rooms[room]?.members.contains(Self.bot) == true else {
                    return Self.error(.forbidden, "M_FORBIDDEN", "You are not invited to this room.")
                }
                state.rooms[room]?.members.insert(Self.bot)
                state.joins.append(room)
                return .json(#"{"room_id":"\#(room)"}"#)
            }
        }
        router.post("/_matrix/client/v3/rooms/{room}/leave") { request, context -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            let room = Self.room(context)
            self.state.withLock {
                $0.rooms[room]?.members.remove(Self.bot)
                $0.rooms[room]?.invited.remove(Self.bot)
                $0.leaves.append(room)
            }
            return .json("{}")
        }
        router.get("/_matrix/client/v3/rooms/{room}/joined_members") { request, context -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            let members = self.state.withLock { $0.rooms[Self.room(context)]?.members ?? [] }
            let joined = members.sorted().map { #""\#($0)":{"display_name":null,"avatar_url":null}"# }.joined(separator: ",")
            return .json(#"{"joined":{\#(joined)}}"#)
        }
        router.get("/_matrix/client/v3/account/whoami") { request, _ -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            return .json(#"{"user_id":"\#(Self.bot)","device_id":"\#(Self.tokenDevice)"}"#)
        }
        router.post("/_matrix/client/v3/keys/upload") { request, _ -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
                return Self.error(.badRequest, "M_BAD_JSON", "Content not JSON.")
            }
            let count = self.state.withLock { state in
                state.keyUploads += 1
                if let keys = json["device_keys"], let data = try? JSONSerialization.data(withJSONObject: keys) { state.deviceKeys = String(decoding: data, as: UTF8.self) }
                for (_, key) in (json["one_time_keys"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    if let data = try? JSONSerialization.data(withJSONObject: key) { state.oneTimeKeys.append(String(decoding: data, as: UTF8.self)) }
                }
                return state.oneTimeKeys.count
            }
            return .json(#"{"one_time_key_counts":{"signed_curve25519":\#(count)}}"#)
        }
        router.get("/_matrix/client/v3/rooms/{room}/state/m.room.encryption") { request, context -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            guard let content = self.state.withLock({ $0.encryption[Self.room(context)] }) else {
                return Self.error(.notFound, "M_NOT_FOUND", "Event not found.")
            }
            return .json(content)
        }
        router.post("/_matrix/client/v3/keys/query") { request, _ -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            let body = try await request.body.collect(upTo: 1 << 20)
            let users = ((try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["device_keys"] as? [String: Any] ?? [:]).keys
            let answer = self.state.withLock { state in
                state.keyQueries += 1
                return users.map { user -> String in
                    let devices = (state.devices[user] ?? [:]).map { device -> String in #""\#(device.key)":\#(device.value)"# }.joined(separator: ",")
                    return #""\#(user)":{\#(devices)}"#
                }.joined(separator: ",")
            }
            return .json(#"{"device_keys":{\#(answer)},"failures":{}}"#)
        }
        router.post("/_matrix/client/v3/keys/claim") { request, _ -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            let body = try await request.body.collect(upTo: 1 << 20)
            let wanted = (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["one_time_keys"] as? [String: [String: String]] ?? [:]
            let answer = self.state.withLock { state in
                wanted.map { user, devices -> String in
                    let keys = devices.keys.compactMap { device -> String? in
                        guard var left = state.othersOneTimeKeys[user + "/" + device], !left.isEmpty else { return nil }
                        let key = left.removeFirst()
                        state.othersOneTimeKeys[user + "/" + device] = left
                        return #""\#(device)":{"signed_curve25519:AAAA\#(left.count)":\#(key)}"#
                    }
                    return #""\#(user)":{\#(keys.joined(separator: ","))}"#
                }.joined(separator: ",")
            }
            return .json(#"{"one_time_keys":{\#(answer)},"failures":{}}"#)
        }
        router.put("/_matrix/client/v3/sendToDevice/m.room.encrypted/{txn}") { request, _ -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            let body = try await request.body.collect(upTo: 1 << 20)
            self.state.withLock { $0.toDeviceSent.append(String(buffer: body)) }
            return .json("{}")
        }
        router.put("/_matrix/client/v3/rooms/{room}/send/m.room.encrypted/{txn}") { request, context -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let room = Self.room(context), transactionID = context.parameters.get("txn") ?? ""
            return self.state.withLock { state in
                if let earlier = state.transactions[transactionID] { return .json(#"{"event_id":"\#(earlier)"}"#) }
                state.nextEvent += 1
                let id = "$bot\(state.nextEvent)_Enc"
                state.transactions[transactionID] = id
                state.encryptedSent.append(EncryptedSent(room: room, content: body, transactionID: transactionID))
                state.log.append((room, .event(#"{"type":"m.room.encrypted","event_id":"\#(id)","sender":"\#(Self.bot)","content":\#(body)}"#)))
                return .json(#"{"event_id":"\#(id)"}"#)
            }
        }
        router.put("/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}") { request, context -> Response in
            guard self.authorised(request) else { return Self.error(.unauthorized, "M_UNKNOWN_TOKEN", "Invalid access token passed.") }
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any], let text = json["body"] as? String,
                  json["msgtype"] as? String == "m.text" else {
                return Self.error(.badRequest, "M_BAD_JSON", "Content not JSON.")
            }
            return self.send(room: Self.room(context), transactionID: context.parameters.get("txn") ?? "", body: text, formatted: json["formatted_body"] as? String)
        }
        return router
    }

    func authorised(_ request: Request) -> Bool {
        request.headers[.authorization] == "Bearer \(Self.token)" && state.withLock { $0.tokenValid }
    }

    private func send(room: String, transactionID: String, body: String, formatted: String?) -> Response {
        state.withLock { state in
            state.sendRequests.append(transactionID)
            if !state.sendFaults.isEmpty {
                switch state.sendFaults.removeFirst() {
                case .rateLimited(let milliseconds): return Self.error(.tooManyRequests, "M_LIMIT_EXCEEDED", "Too Many Requests", retryAfter: milliseconds)
                case .serverError: return .json(#"{"errcode":"M_UNKNOWN","error":"Internal server error"}"#, .internalServerError)
                case .forbidden: return Self.error(.forbidden, "M_FORBIDDEN", "User \(Self.bot) not in room \(room)")
                case .body(let text): return .json(text)
                }
            }
            guard state.rooms[room]?.members.contains(Self.bot) == true else {
                return Self.error(.forbidden, "M_FORBIDDEN", "User \(Self.bot) not in room \(room)")
            }
            if let earlier = state.transactions[transactionID] { return .json(#"{"event_id":"\#(earlier)"}"#) }
            state.nextEvent += 1
            let id = "$bot\(state.nextEvent)_XyZ"
            state.transactions[transactionID] = id
            state.sent.append(Sent(room: room, body: body, formattedBody: formatted, transactionID: transactionID, eventID: id))
            // The bot's own message comes back in the room's timeline, as on a real homeserver.
            state.log.append((room, .event(Self.messageJSON(id: id, sender: Self.bot, msgtype: "m.text", body: body))))
            return .json(#"{"event_id":"\#(id)"}"#)
        }
    }

    private func sync(_ request: Request) async throws -> Response {
        let since = request.uri.queryParameters.get("since")
        let timeout = min(Int(request.uri.queryParameters.get("timeout") ?? "0") ?? 0, 1000)
        let fault = state.withLock { state -> Fault? in
            state.sinces.append(since)
            return state.syncFaults.isEmpty ? nil : state.syncFaults.removeFirst()
        }
        switch fault {
        case .rateLimited(let milliseconds)?: return Self.error(.tooManyRequests, "M_LIMIT_EXCEEDED", "Too Many Requests", retryAfter: milliseconds)
        case .serverError?: return .json(#"{"errcode":"M_UNKNOWN","error":"Internal server error"}"#, .internalServerError)
        case .forbidden?: return Self.error(.forbidden, "M_FORBIDDEN", "Forbidden")
        case .body(let text)?: return .json(text)
        case nil: break
        }
        let from = since.flatMap { Int($0.dropFirst()) } ?? 0
        let deadline = ContinuousClock.now + .milliseconds(timeout)
        while position <= from, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        return .json(state.withLock { state in
            // Timelines of the rooms the bot is in (a real homeserver sends the rest once it joins; the tests write after that).
            let entries = state.log.dropFirst(from).filter { entry in
                if case .event = entry.kind { state.rooms[entry.room]?.members.contains(Self.bot) == true } else { true }
            }
            return Self.syncBody(Array(entries), next: state.log.count, oneTimeKeys: state.oneTimeKeys.count)
        })
    }

    private static func syncBody(_ entries: [(room: String, kind: Kind)], next: Int, oneTimeKeys: Int) -> String {
        var joined: [String: [String]] = [:]
        var invited: [String: String] = [:]
        var toDevice: [String] = []
        var changed: [String] = []
        for entry in entries {
            switch entry.kind {
            case .toDevice(let json): toDevice.append(json)
            case .deviceChange(let user): changed.append(#""\#(user)""#)
            case .event(let json): joined[entry.room, default: []].append(json)
            case .invite(let inviter, let direct):
                invited[entry.room] = #"{"invite_state":{"events":[{"type":"m.room.create","state_key":"","sender":"\#(inviter)","content":{"creator":"\#(inviter)"}},{"type":"m.room.member","state_key":"\#(bot)","sender":"\#(inviter)","content":{"membership":"invite","is_direct":\#(direct)}}]}}"#
            }
        }
        let join = joined.map { #""\#($0.key)":{"timeline":{"events":[\#($0.value.joined(separator: ","))],"limited":false,"prev_batch":"p1"},"state":{"events":[]},"ephemeral":{"events":[]},"account_data":{"events":[]},"unread_notifications":{"highlight_count":0,"notification_count":1}}"# }
        let invite = invited.map { #""\#($0.key)":\#($0.value)"# }
        return #"{"next_batch":"s\#(next)","rooms":{"join":{\#(join.joined(separator: ","))},"invite":{\#(invite.joined(separator: ","))},"leave":{}},"presence":{"events":[]},"account_data":{"events":[]},"to_device":{"events":[\#(toDevice.joined(separator: ","))]},"device_lists":{"changed":[\#(changed.joined(separator: ","))]},"device_one_time_keys_count":{"signed_curve25519":\#(oneTimeKeys)}}"#
    }
}
