import Foundation
import Storage

/// The parts of a `/sync` answer the bot reads. Events that do not fit are dropped one by one (`Lenient`), so one odd
/// event cannot stop a room's other messages, or other rooms'.
public struct SyncResponse: Decodable, Sendable {
    public var nextBatch: String
    public var rooms: Rooms?
    /// Messages to this device: Olm-encrypted room keys (m.room_key).
    public var toDevice: ToDevice?
    /// Users whose devices changed: their keys are queried again before a room key is shared with them.
    public var deviceLists: DeviceLists?
    /// How many one-time keys the homeserver still holds for this device; topped up when it runs low.
    public var deviceOneTimeKeysCount: [String: Int]?

    public struct ToDevice: Decodable, Sendable {
        public var events: [Lenient<JSONValue>]?
    }

    public struct DeviceLists: Decodable, Sendable {
        public var changed: [String]?
    }

    public struct Rooms: Decodable, Sendable {
        public var join: [String: JoinedRoom]?
        public var invite: [String: InvitedRoom]?
    }

    public struct JoinedRoom: Decodable, Sendable {
        public var timeline: Timeline?
        public var state: Timeline?
        public var summary: Summary?
    }

    public struct Timeline: Decodable, Sendable {
        public var events: [Lenient<RoomEvent>]?
    }

    public struct Summary: Decodable, Sendable {
        public var joinedMemberCount: Int?
        enum CodingKeys: String, CodingKey { case joinedMemberCount = "m.joined_member_count" }
    }

    public struct InvitedRoom: Decodable, Sendable {
        public var inviteState: InviteState?
        enum CodingKeys: String, CodingKey { case inviteState = "invite_state" }
    }

    public struct InviteState: Decodable, Sendable {
        public var events: [Lenient<RoomEvent>]?
    }

    enum CodingKeys: String, CodingKey {
        case nextBatch = "next_batch", rooms, toDevice = "to_device", deviceLists = "device_lists", deviceOneTimeKeysCount = "device_one_time_keys_count"
    }
}

/// A value that may fail to decode; nil then.
public struct Lenient<Value: Decodable & Sendable>: Decodable, Sendable {
    public var value: Value?

    public init(from decoder: any Decoder) throws {
        value = try? Value(from: decoder)
    }
}

/// A room event, or a stripped state event of an invitation (which has no event id).
public struct RoomEvent: Decodable, Sendable {
    public var type: String
    public var eventID: String?
    public var sender: String
    public var stateKey: String?
    public var content: Content

    public struct Content: Decodable, Sendable {
        public var msgtype: String?
        public var body: String?
        public var membership: String?
        public var isDirect: Bool?
        public var relatesTo: Relation?
        /// m.room.encrypted (Megolm) and m.room.encryption.
        public var algorithm: String?
        public var ciphertext: String?
        public var senderKey: String?
        public var sessionID: String?
        public var rotationPeriodMS: Int64?
        public var rotationPeriodMessages: Int?

        enum CodingKeys: String, CodingKey {
            case msgtype, body, membership, isDirect = "is_direct", relatesTo = "m.relates_to", algorithm, ciphertext, senderKey = "sender_key",
                 sessionID = "session_id", rotationPeriodMS = "rotation_period_ms", rotationPeriodMessages = "rotation_period_msgs"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            msgtype = try container.decodeIfPresent(String.self, forKey: .msgtype)
            body = try container.decodeIfPresent(String.self, forKey: .body)
            membership = try container.decodeIfPresent(String.self, forKey: .membership)
            // Some clients send "is_direct" as something other than a boolean; it only matters when true.
            isDirect = try? container.decodeIfPresent(Bool.self, forKey: .isDirect)
            relatesTo = try? container.decodeIfPresent(Relation.self, forKey: .relatesTo)
            algorithm = try? container.decodeIfPresent(String.self, forKey: .algorithm)
            ciphertext = try? container.decodeIfPresent(String.self, forKey: .ciphertext)  // an object in Olm to-device messages
            senderKey = try? container.decodeIfPresent(String.self, forKey: .senderKey)
            sessionID = try? container.decodeIfPresent(String.self, forKey: .sessionID)
            rotationPeriodMS = try? container.decodeIfPresent(Int64.self, forKey: .rotationPeriodMS)
            rotationPeriodMessages = try? container.decodeIfPresent(Int.self, forKey: .rotationPeriodMessages)
        }
    }

    public struct Relation: Decodable, Sendable {
        public var relType: String?
        public var inReplyTo: InReplyTo?
        enum CodingKeys: String, CodingKey { case relType = "rel_type", inReplyTo = "m.in_reply_to" }
    }

    public struct InReplyTo: Decodable, Sendable {
        public var eventID: String?
        enum CodingKeys: String, CodingKey { case eventID = "event_id" }
    }

    enum CodingKeys: String, CodingKey { case type, eventID = "event_id", sender, stateKey = "state_key", content }
}

/// One message a person wrote in a room, as the poller stores it in the inbox (the payload) before handling it.
public struct RoomMessage: Codable, Sendable, Equatable {
    /// "$…": the same event comes again after a restart without a stored position; the inbox drops the repeat.
    public var eventID: String
    /// "!…:server": the conversation's address. Never logged.
    public var room: String
    public var sender: String
    /// m.text, m.image, m.file …
    public var msgtype: String
    public var body: String
    /// An edit (m.replace) of an earlier message: ignored, as it would run a step again.
    public var isEdit: Bool

    public init(eventID: String, room: String, sender: String, msgtype: String, body: String, isEdit: Bool = false) {
        self.eventID = eventID
        self.room = room
        self.sender = sender
        self.msgtype = msgtype
        self.body = body
        self.isEdit = isEdit
    }

    /// The text a person typed, without the quote of the message they replied to that older clients put before it.
    public var typedText: String {
        guard body.hasPrefix("> ") else { return body }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard let firstOwn = lines.firstIndex(where: { !$0.hasPrefix(">") }) else { return body }
        return lines[firstOwn...].drop { $0.isEmpty }.joined(separator: "\n")
    }
}

/// A Megolm-encrypted room event (m.room.encrypted, m.megolm.v1.aes-sha2), as it came: what is kept while its key has
/// not arrived yet.
public struct EncryptedRoomEvent: Codable, Sendable, Equatable {
    public var eventID: String
    public var room: String
    public var sender: String
    public var algorithm: String
    public var senderKey: String?
    public var sessionID: String
    public var ciphertext: String
}

extension RoomMessage {
    /// A person's room message (m.room.message), from `me` or without a msgtype (redacted) nil.
    init?(_ event: RoomEvent, eventID: String, room: String, me: String) {
        guard event.type == "m.room.message", event.sender != me, let msgtype = event.content.msgtype else { return nil }
        self.init(eventID: eventID, room: room, sender: event.sender, msgtype: msgtype, body: event.content.body ?? "",
                  isEdit: event.content.relatesTo?.relType == "m.replace")
    }

    /// What an encrypted message becomes when the bot has no encryption (no pickle key): a message it cannot read.
    static let unreadableEncrypted = "m.room.encrypted"
}

/// An invitation to a room.
public struct RoomInvite: Sendable, Equatable {
    public var room: String
    /// Who invited the bot ("@ouder:matrix.org"); their homeserver is what comes after the first colon.
    public var inviter: String
    public var isDirect: Bool

    /// "matrix.org" for "@ouder:matrix.org".
    public var inviterServer: String {
        inviter.firstIndex(of: ":").map { String(inviter[inviter.index(after: $0)...]) } ?? ""
    }
}

/// What the bot acts on in one `/sync` answer.
public struct SyncBatch: Sendable {
    public var nextBatch: String
    public var messages: [RoomMessage]
    public var invites: [RoomInvite]
    /// Joined rooms with more than two people: not a household's private conversation.
    public var crowdedRooms: [String]
    /// Events that could not be read (left out).
    public var unreadable: Int
    /// Encrypted room messages, in order per room (in an encrypted room every message is one).
    public var encrypted: [EncryptedRoomEvent] = []
    /// Rooms whose m.room.encryption came in this batch.
    public var encryptionChanges: [(room: String, encryption: MatrixRoomEncryption)] = []
    /// Rooms where someone joined, left or was invited: our Megolm session there is replaced before the next message.
    public var membershipChanges: [String] = []
    /// To-device events (room keys), device list changes and the one-time key count.
    public var toDevice: [JSONValue] = []
    public var changedDeviceUsers: [String] = []
    public var oneTimeKeyCount: Int?

    /// Reads a sync answer: others' room messages in order per room, invitations of the bot, crowded rooms.
    public init(_ response: SyncResponse, me: String) {
        nextBatch = response.nextBatch
        messages = []
        invites = []
        crowdedRooms = []
        unreadable = 0
        toDevice = (response.toDevice?.events ?? []).compactMap(\.value)
        changedDeviceUsers = response.deviceLists?.changed ?? []
        oneTimeKeyCount = response.deviceOneTimeKeysCount?["signed_curve25519"]
        for (room, joined) in (response.rooms?.join ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let count = joined.summary?.joinedMemberCount, count > 2 { crowdedRooms.append(room) }
            for event in (joined.state?.events ?? []).compactMap(\.value) where event.type == "m.room.encryption" {
                encryptionChanges.append((room, Self.encryption(of: event)))
            }
            for lenient in joined.timeline?.events ?? [] {
                guard let event = lenient.value else {
                    unreadable += 1
                    continue
                }
                switch event.type {
                case "m.room.encryption": encryptionChanges.append((room, Self.encryption(of: event)))
                case "m.room.member": if membershipChanges.last != room { membershipChanges.append(room) }
                case "m.room.encrypted" where event.sender != me:
                    guard let eventID = event.eventID, let algorithm = event.content.algorithm, let sessionID = event.content.sessionID,
                          let ciphertext = event.content.ciphertext else {
                        unreadable += 1
                        continue
                    }
                    encrypted.append(EncryptedRoomEvent(eventID: eventID, room: room, sender: event.sender, algorithm: algorithm,
                                                        senderKey: event.content.senderKey, sessionID: sessionID, ciphertext: ciphertext))
                case "m.room.message" where event.sender != me:
                    guard let eventID = event.eventID, let message = RoomMessage(event, eventID: eventID, room: room, me: me) else {
                        // A redacted message has empty content: nothing to answer.
                        if event.eventID == nil { unreadable += 1 }
                        continue
                    }
                    messages.append(message)
                default: continue
                }
            }
        }
        for (room, invited) in (response.rooms?.invite ?? [:]).sorted(by: { $0.key < $1.key }) {
            let events = (invited.inviteState?.events ?? []).compactMap(\.value)
            guard let invitation = events.last(where: { $0.type == "m.room.member" && $0.stateKey == me && $0.content.membership == "invite" }) else {
                continue
            }
            invites.append(RoomInvite(room: room, inviter: invitation.sender, isDirect: invitation.content.isDirect == true))
        }
    }

    static func encryption(of event: RoomEvent) -> MatrixRoomEncryption {
        MatrixRoomEncryption(algorithm: event.content.algorithm, rotationPeriodMS: event.content.rotationPeriodMS,
                             rotationPeriodMessages: event.content.rotationPeriodMessages)
    }
}

/// An `m.room.message` the bot sends: plain text, with an HTML version when it has choices (a numbered list).
public struct MessageContent: Codable, Sendable, Equatable {
    public var msgtype: String
    public var body: String
    public var format: String?
    public var formattedBody: String?

    public init(body: String, formattedBody: String? = nil) {
        msgtype = "m.text"
        self.body = body
        format = formattedBody == nil ? nil : "org.matrix.custom.html"
        self.formattedBody = formattedBody
    }

    enum CodingKeys: String, CodingKey { case msgtype, body, format, formattedBody = "formatted_body" }
}
