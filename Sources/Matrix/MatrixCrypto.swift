import Crypto
import Foundation
import Logging
import Storage

/// The bot as a Matrix end-to-end encryption device (Olm and Megolm through libolm): its keys published, room keys it
/// is sent (Olm to-device messages) kept, encrypted room messages decrypted, and its own messages in an encrypted room
/// sent with a Megolm session whose key goes to every device of the room's members. Other devices are trusted as they
/// are (a school bot cannot verify anyone interactively). The database is the only copy of the state: every object is
/// unpickled for an operation and stored again before anything that depends on it goes out. One operation at a time.
/// Logs event and session ids only, never content, keys or user ids.
public actor MatrixCrypto {
    let api: MatrixClient
    let database: AppDatabase
    let logger: Logger
    /// libolm's pickle key, derived from the school's secret.
    let pickleKey: [UInt8]
    private var account: OlmAccount?
    private var deviceID = MatrixClient.deviceID
    private var identity: (curve25519: String, ed25519: String) = ("", "")
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    static let olmAlgorithm = "m.olm.v1.curve25519-aes-sha2"
    static let megolmAlgorithm = "m.megolm.v1.aes-sha2"
    /// The homeserver keeps this many of our one-time keys; below half, more are uploaded.
    static let oneTimeKeyTarget = 50
    /// Megolm's defaults when the room's m.room.encryption does not say (https://spec.matrix.org/v1.11/client-server-api/#mroomencryption).
    static let defaultRotationPeriod: Duration = .seconds(7 * 24 * 3600)
    static let defaultRotationMessages = 100
    /// How long an encrypted message waits for its key.
    static let pendingLifetime: TimeInterval = 30 * 24 * 3600

    public init(api: MatrixClient, database: AppDatabase, pickleSecret: String, logger: Logger) {
        self.api = api
        self.database = database
        self.logger = logger
        pickleKey = Self.pickleKey(from: pickleSecret)
    }

    /// 32 bytes from the school's secret (HKDF-SHA256), so the secret's length and alphabet do not matter to libolm.
    static func pickleKey(from secret: String) -> [UInt8] {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)), info: Data("samenspraak matrix pickle v1".utf8),
                                         outputByteCount: 32)
        return key.withUnsafeBytes { Array($0) }
    }

    /// Runs `body` alone: Olm state must not be read by one operation while another is about to store a newer one.
    private func exclusively<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        while busy { await withCheckedContinuation { waiting.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        return try await body()
    }

    // MARK: - The device

    /// Loads the account (or makes one) and publishes its device keys and one-time keys. The device id is the one the
    /// bot logs in with (or that its access token belongs to), so a restart keeps the same device and its keys.
    public func start() async throws {
        try await exclusively {
            // A password logs in as `MatrixClient.deviceID` (at the first call); a token belongs to the device it was made for.
            if case .accessToken = api.credentials, let given = try await api.whoAmI().deviceID { deviceID = given }
            let userID = api.userID, device = deviceID
            let stored = try await database.read { try $0.matrixAccount() }
            let loaded: OlmAccount
            if let stored, stored.userID == userID, stored.deviceID == device {
                loaded = try OlmAccount.unpickle(stored.pickle, key: pickleKey)
            } else {
                if stored != nil { logger.warning("Matrix: the stored encryption keys belong to another device; this device gets new ones") }
                loaded = try OlmAccount.create()
                try await storeAccount(loaded)
                logger.info("Matrix: made encryption keys for the device", metadata: ["device": "\(device)"])
            }
            account = loaded
            identity = try loaded.identityKeys()
            let count = try await api.uploadKeys(["device_keys": try deviceKeys(loaded)])
            try await topUpOneTimeKeys(held: count)
            // A key that has not come in a month never will (the sender's device is gone): those events are let go.
            let cutoff = Date().addingTimeInterval(-Self.pendingLifetime)
            let dropped = try await database.write { try $0.deleteMatrixPendingEvents(receivedBefore: cutoff) }
            if dropped > 0 { logger.warning("Matrix: encrypted messages whose key never came were let go", metadata: ["count": "\(dropped)"]) }
        }
    }

    private func storeAccount(_ account: OlmAccount) async throws {
        let pickle = try account.pickle(key: pickleKey)
        let userID = api.userID, device = deviceID
        try await database.write { try $0.storeMatrixAccount(userID: userID, deviceID: device, pickle: pickle, at: Date()) }
    }

    private func currentAccount() throws -> OlmAccount {
        guard let account else { throw OlmError(name: "NOT_STARTED") }
        return account
    }

    /// The signed device keys of /keys/upload.
    func deviceKeys(_ account: OlmAccount) throws -> JSONValue {
        let unsigned: JSONValue = [
            "user_id": .string(api.userID), "device_id": .string(deviceID), "algorithms": [.string(Self.olmAlgorithm), .string(Self.megolmAlgorithm)],
            "keys": .object(["curve25519:\(deviceID)": .string(identity.curve25519), "ed25519:\(deviceID)": .string(identity.ed25519)]),
        ]
        return try account.signJSON(unsigned, userID: api.userID, deviceID: deviceID)
    }

    /// Uploads signed one-time keys until the homeserver holds `oneTimeKeyTarget`; the account is stored before the
    /// upload, so keys the homeserver may hand out are never lost by a crash.
    private func topUpOneTimeKeys(held: Int) async throws {
        guard held < Self.oneTimeKeyTarget / 2 + 1 else { return }
        let account = try currentAccount()
        let wanted = min(Self.oneTimeKeyTarget - held, account.maximumOneTimeKeys / 2)
        try account.generateOneTimeKeys(wanted)
        var keys: [String: JSONValue] = [:]
        for (id, key) in try account.unpublishedOneTimeKeys() {
            keys["signed_curve25519:\(id)"] = try account.signJSON(["key": .string(key)], userID: api.userID, deviceID: deviceID)
        }
        try await storeAccount(account)
        _ = try await api.uploadKeys(["one_time_keys": .object(keys)])
        account.markKeysAsPublished()
        try await storeAccount(account)
        logger.info("Matrix: uploaded one-time keys", metadata: ["count": "\(keys.count)"])
    }

    // MARK: - A sync batch

    /// What a batch brings besides messages: room keys (to-device), changed device lists, room settings, members that
    /// changed, the one-time keys left. Returns the Megolm sessions whose keys arrived (room, session id).
    public func absorb(_ batch: SyncBatch) async throws -> [(room: String, sessionID: String)] {
        try await exclusively {
            let now = Date()
            let changed = batch.changedDeviceUsers, settings = batch.encryptionChanges, rooms = batch.membershipChanges
            if !changed.isEmpty || !settings.isEmpty || !rooms.isEmpty {
                try await database.write { tx in
                    try tx.markMatrixDevicesOutdated(changed, at: now)
                    for (room, encryption) in settings { try tx.storeMatrixRoomEncryption(roomID: room, encryption, at: now) }
                    // Someone came or went: the next message goes with a new Megolm session, so a newcomer cannot read
                    // older ones and someone gone cannot read newer ones.
                    for room in rooms { try tx.discardMatrixOutboundGroupSession(roomID: room) }
                }
            }
            var keys: [(room: String, sessionID: String)] = []
            for event in batch.toDevice where event["type"]?.string == "m.room.encrypted" {
                do {
                    if let key = try await receiveToDevice(event) { keys.append(key) }
                } catch {
                    logger.warning("Matrix: a to-device message could not be decrypted", metadata: ["error": "\(error)"])
                }
            }
            if let held = batch.oneTimeKeyCount { try await topUpOneTimeKeys(held: held) }
            return keys
        }
    }

    /// An Olm-encrypted to-device message: decrypted with a session we have with the sender's device, or a new one its
    /// pre-key message starts. A room key in it is stored (room, session id).
    private func receiveToDevice(_ event: JSONValue) async throws -> (room: String, sessionID: String)? {
        let account = try currentAccount()
        guard let sender = event["sender"]?.string, let content = event["content"], content["algorithm"]?.string == Self.olmAlgorithm,
              let senderKey = content["sender_key"]?.string, let mine = content["ciphertext"]?[identity.curve25519],
              let type = mine["type"]?.int, let body = mine["body"]?.string else { return nil }
        let message = OlmMessage(type: Int(type), body: body)
        let stored = try await database.read { try $0.matrixOlmSessions(senderKey: senderKey) }
        var plaintext: String?
        var used: OlmSession?
        for (_, pickle) in stored {
            let session = try OlmSession.unpickle(pickle, key: pickleKey)
            if message.type == 0, !session.matches(preKeyMessage: body, from: senderKey) { continue }
            if let decrypted = try? session.decrypt(message) {
                plaintext = decrypted
                used = session
                break
            }
        }
        var newSession = false
        if plaintext == nil, message.type == 0 {
            let session = try OlmSession.inbound(account: account, theirIdentityKey: senderKey, preKeyMessage: body)
            try account.removeOneTimeKeys(for: session)
            plaintext = try session.decrypt(message)
            used = session
            newSession = true
        }
        guard let plaintext, let used else { throw OlmError(name: "NO_SESSION") }
        let sessionID = try used.id, sessionPickle = try used.pickle(key: pickleKey)
        let accountPickle = newSession ? try account.pickle(key: pickleKey) : nil
        let userID = api.userID, device = deviceID
        try await database.write { tx in
            try tx.storeMatrixOlmSession(sessionID: sessionID, senderKey: senderKey, pickle: sessionPickle, at: Date())
            if let accountPickle { try tx.storeMatrixAccount(userID: userID, deviceID: device, pickle: accountPickle, at: Date()) }
        }
        let payload = try JSONValue.parse(plaintext)
        // The payload must be meant for this device and come from who the homeserver says sent it.
        guard payload["sender"]?.string == sender, payload["recipient"]?.string == api.userID,
              payload["recipient_keys"]?["ed25519"]?.string == identity.ed25519 else { throw OlmError(name: "WRONG_RECIPIENT") }
        guard payload["type"]?.string == "m.room_key", let key = payload["content"], key["algorithm"]?.string == Self.megolmAlgorithm,
              let room = key["room_id"]?.string, let groupID = key["session_id"]?.string, let sessionKey = key["session_key"]?.string else { return nil }
        let inbound = try MegolmInboundSession.create(sessionKey: sessionKey)
        guard try inbound.id == groupID else { throw OlmError(name: "SESSION_ID_MISMATCH") }
        let pickle = try inbound.pickle(key: pickleKey)
        try await database.write {
            try $0.storeMatrixInboundGroupSession(roomID: room, sessionID: groupID, senderKey: senderKey, senderUserID: sender, pickle: pickle, at: Date())
        }
        logger.info("Matrix: received a room key", metadata: ["session": "\(groupID)"])
        return (room, groupID)
    }

    // MARK: - Reading room messages

    public enum Decrypted: Sendable {
        case message(RoomMessage)
        /// Its key has not arrived (yet): kept, and tried again when it does.
        case waitingForKey
        /// Not a person's message, or not readable: nothing to answer.
        case nothing
    }

    /// A Megolm room event decrypted into the room message it holds.
    public func decrypt(_ event: EncryptedRoomEvent) async throws -> Decrypted {
        try await exclusively { try await decryptAlone(event) }
    }

    private func decryptAlone(_ event: EncryptedRoomEvent) async throws -> Decrypted {
        guard event.algorithm == Self.megolmAlgorithm else { return .nothing }
        let room = event.room, sessionID = event.sessionID
        guard let stored = try await database.read({ try $0.matrixInboundGroupSession(roomID: room, sessionID: sessionID) }) else { return .waitingForKey }
        // A key is only good for the device (and so the user) that shared it: no one can write in another's name.
        if let senderKey = event.senderKey, senderKey != stored.senderKey { return .nothing }
        guard event.sender == stored.senderUserID else {
            logger.warning("Matrix: an encrypted message from another user than its key's; ignored", metadata: ["event": "\(event.eventID)"])
            return .nothing
        }
        let session = try MegolmInboundSession.unpickle(stored.pickle, key: pickleKey)
        let plaintext: String, index: Int
        do { (plaintext, index) = try session.decrypt(event.ciphertext) } catch {
            logger.warning("Matrix: an encrypted message could not be decrypted", metadata: ["event": "\(event.eventID)", "error": "\(error)"])
            return .nothing
        }
        let eventID = event.eventID
        guard try await database.write({ try $0.recordMatrixMegolmIndex(roomID: room, sessionID: sessionID, messageIndex: index, eventID: eventID) }) else {
            logger.warning("Matrix: an encrypted message replayed an earlier one; ignored", metadata: ["event": "\(eventID)"])
            return .nothing
        }
        let payload = try JSONValue.parse(plaintext)
        // The room inside must be the room it was sent in, or a message could be replayed into another conversation.
        guard payload["room_id"]?.string == event.room, let type = payload["type"]?.string, let content = payload["content"] else { return .nothing }
        let inner: JSONValue = ["type": .string(type), "event_id": .string(event.eventID), "sender": .string(event.sender), "content": content]
        let decoded = try JSONDecoder().decode(RoomEvent.self, from: JSONEncoder().encode(inner))
        return RoomMessage(decoded, eventID: event.eventID, room: event.room, me: api.userID).map(Decrypted.message) ?? .nothing
    }

    /// Events kept for want of a key that can be read now: those of the given sessions, or all after a restart. Each
    /// one read (or found never readable) is removed in the same commit that stores its message in the inbox.
    public func retryPending(_ sessions: [(room: String, sessionID: String)]?) async throws -> [RoomMessage] {
        try await exclusively {
            var pending: [(eventID: String, event: String)] = []
            if let sessions {
                for (room, sessionID) in sessions { pending += try await database.read { try $0.matrixPendingEvents(roomID: room, sessionID: sessionID) } }
            } else {
                pending = try await database.read { try $0.matrixPendingEvents() }
            }
            var messages: [RoomMessage] = []
            var done: [String] = []
            for (eventID, text) in pending {
                guard let event = try? JSONDecoder().decode(EncryptedRoomEvent.self, from: Data(text.utf8)) else {
                    done.append(eventID)
                    continue
                }
                switch try await decryptAlone(event) {
                case .message(let message): messages.append(message); done.append(eventID)
                case .nothing: done.append(eventID)
                case .waitingForKey: continue
                }
            }
            guard !done.isEmpty else { return [] }
            let encoder = JSONEncoder()
            let stored = try messages.map { ($0.eventID, String(decoding: try encoder.encode($0), as: UTF8.self)) }
            let now = Date()
            let finished = done
            try await database.write { tx in
                try tx.storeReceived(channel: MatrixPoller.channel, messages: stored, at: now)
                for eventID in finished { try tx.deleteMatrixPendingEvent(eventID: eventID) }
            }
            if !messages.isEmpty { logger.info("Matrix: read messages whose key came later", metadata: ["count": "\(messages.count)"]) }
            return messages
        }
    }

    // MARK: - Sending

    /// Whether the room is encrypted: from its m.room.encryption as seen in /sync, else asked of the homeserver once.
    func encryption(of room: String) async throws -> MatrixRoomEncryption {
        if let known = try await database.read({ try $0.matrixRoomEncryption(roomID: room) }) { return known }
        let state = try await api.roomState(room: room, type: "m.room.encryption")
        let encryption = MatrixRoomEncryption(algorithm: state?["algorithm"]?.string, rotationPeriodMS: state?["rotation_period_ms"]?.int,
                                              rotationPeriodMessages: (state?["rotation_period_msgs"]?.int).map(Int.init))
        try await database.write { try $0.storeMatrixRoomEncryption(roomID: room, encryption, at: Date()) }
        return encryption
    }

    /// Sends a message to a room: Megolm-encrypted in an encrypted room, as it is otherwise. The transaction id makes a
    /// second attempt give the same event, encrypted or not.
    public func send(room: String, content: MessageContent, transactionID: String) async throws -> String {
        try await exclusively {
            let encryption = try await encryption(of: room)
            guard encryption.algorithm != nil else { return try await api.send(room: room, content: content, transactionID: transactionID) }
            guard encryption.algorithm == Self.megolmAlgorithm else { throw MatrixError.rejected(0, "send: unknown encryption algorithm") }
            let (session, record) = try await outboundSession(for: room, encryption)
            let payload: JSONValue = ["type": "m.room.message", "content": try JSONValue.of(content), "room_id": .string(room)]
            let ciphertext = try session.encrypt(payload.canonical)
            var updated = record
            updated.pickle = try session.pickle(key: pickleKey)
            updated.messageCount += 1
            let stored = updated
            // Stored before it goes out: a Megolm message index must never be used twice.
            try await database.write { try $0.storeMatrixOutboundGroupSession(roomID: room, stored) }
            let encrypted: JSONValue = ["algorithm": .string(Self.megolmAlgorithm), "ciphertext": .string(ciphertext), "sender_key": .string(identity.curve25519),
                                        "session_id": .string(record.sessionID), "device_id": .string(deviceID)]
            return try await api.sendEvent(room: room, type: "m.room.encrypted", content: encrypted, transactionID: transactionID)
        }
    }

    /// The room's Megolm session, new when there is none, when it is older or has sent more than the room allows, or
    /// when the room's devices are no longer those that have its key; a new one's key goes to every device first.
    private func outboundSession(for room: String, _ encryption: MatrixRoomEncryption) async throws -> (MegolmOutboundSession, MatrixOutboundSessionRecord) {
        let devices = try await roomDevices(room)
        let audience = devices.map { "\($0.userID) \($0.deviceID) \($0.curve25519)" }.sorted().joined(separator: "\n")
        if let record = try await database.read({ try $0.matrixOutboundGroupSession(roomID: room) }) {
            let age = Date().timeIntervalSince(record.createdAt)
            let maximumAge = encryption.rotationPeriodMS.map { Double($0) / 1000 } ?? Double(Self.defaultRotationPeriod.components.seconds)
            if age < maximumAge, record.messageCount < encryption.rotationPeriodMessages ?? Self.defaultRotationMessages, record.sharedWith == audience {
                return (try MegolmOutboundSession.unpickle(record.pickle, key: pickleKey), record)
            }
        }
        let session = try MegolmOutboundSession.create()
        // Only devices that got the key count as sharing it: one left out (no one-time key to be had) makes the next
        // message try again with a new session.
        let reached = try await share(session, room: room, with: devices)
        let record = MatrixOutboundSessionRecord(sessionID: try session.id, pickle: try session.pickle(key: pickleKey),
                                                 sharedWith: reached.map { "\($0.userID) \($0.deviceID) \($0.curve25519)" }.sorted().joined(separator: "\n"),
                                                 messageCount: 0, createdAt: Date())
        let stored = record
        try await database.write { try $0.storeMatrixOutboundGroupSession(roomID: room, stored) }
        logger.info("Matrix: started a new room key", metadata: ["session": "\(record.sessionID)", "devices": "\(devices.count)"])
        return (session, record)
    }

    /// The devices of the room's members, but this one: from the cache, queried again when never seen or changed. A
    /// device whose keys are not signed by itself is left out (its keys could be anyone's).
    private func roomDevices(_ room: String) async throws -> [MatrixDeviceKeys] {
        let members = try await api.joinedMembers(room: room)
        var (devices, outdated) = try await database.read { try $0.matrixDevices(of: members) }
        if !outdated.isEmpty {
            let answer = try await api.queryKeys(of: outdated)
            let now = Date()
            var fresh: [String: [MatrixDeviceKeys]] = [:]
            for user in outdated {
                for (id, keys) in answer["device_keys"]?[user]?.object ?? [:] {
                    guard keys["user_id"]?.string == user, keys["device_id"]?.string == id, let curve = keys["keys"]?["curve25519:\(id)"]?.string,
                          let ed = keys["keys"]?["ed25519:\(id)"]?.string, Self.isSigned(keys, by: user, device: id, ed25519: ed) else { continue }
                    fresh[user, default: []].append(MatrixDeviceKeys(userID: user, deviceID: id, curve25519: curve, ed25519: ed))
                }
            }
            let queried = outdated, found = fresh
            try await database.write { tx in
                for user in queried { try tx.storeMatrixDevices(of: user, found[user] ?? [], at: now) }
            }
            devices += fresh.values.flatMap { $0 }
        }
        return devices.filter { !($0.userID == api.userID && $0.deviceID == deviceID) }
    }

    /// Whether a JSON object carries a valid ed25519 signature of its canonical form by this device's key.
    static func isSigned(_ object: JSONValue, by user: String, device: String, ed25519: String) -> Bool {
        guard let signature = object["signatures"]?[user]?["ed25519:\(device)"]?.string, let signatureBytes = Data(unpaddedBase64: signature),
              let keyBytes = Data(unpaddedBase64: ed25519), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes) else { return false }
        var bare = object
        bare["signatures"] = nil
        bare["unsigned"] = nil
        return key.isValidSignature(signatureBytes, for: Data(bare.canonical.utf8))
    }

    /// Sends a Megolm session's key to each device in an Olm message, making Olm sessions with a claimed one-time key
    /// where there are none yet.
    private func share(_ session: MegolmOutboundSession, room: String, with devices: [MatrixDeviceKeys]) async throws -> [MatrixDeviceKeys] {
        guard !devices.isEmpty else { return [] }
        let account = try currentAccount()
        var sessions: [MatrixDeviceKeys: OlmSession] = [:]
        var missing: [MatrixDeviceKeys] = []
        for device in devices {
            let curve = device.curve25519
            if let newest = try await database.read({ try $0.matrixOlmSessions(senderKey: curve) }).first {
                sessions[device] = try OlmSession.unpickle(newest.pickle, key: pickleKey)
            } else {
                missing.append(device)
            }
        }
        if !missing.isEmpty {
            let claimed = try await api.claimKeys(missing.map { ($0.userID, $0.deviceID) })
            for device in missing {
                guard let (_, key) = claimed["one_time_keys"]?[device.userID]?[device.deviceID]?.object?.first(where: { $0.key.hasPrefix("signed_curve25519:") }),
                      let oneTimeKey = key["key"]?.string, Self.isSigned(key, by: device.userID, device: device.deviceID, ed25519: device.ed25519) else {
                    logger.warning("Matrix: a device had no one-time key to start a session with; it cannot read the next messages")
                    continue
                }
                sessions[device] = try OlmSession.outbound(account: account, theirIdentityKey: device.curve25519, theirOneTimeKey: oneTimeKey)
            }
        }
        let roomKey: JSONValue = ["algorithm": .string(Self.megolmAlgorithm), "room_id": .string(room), "session_id": .string(try session.id),
                                  "session_key": .string(try session.sessionKey)]
        var messages: [String: [String: JSONValue]] = [:]
        var pickles: [(sessionID: String, senderKey: String, pickle: String)] = []
        for (device, olm) in sessions {
            let payload: JSONValue = ["type": "m.room_key", "content": roomKey, "sender": .string(api.userID), "sender_device": .string(deviceID),
                                      "keys": ["ed25519": .string(identity.ed25519)], "recipient": .string(device.userID),
                                      "recipient_keys": ["ed25519": .string(device.ed25519)]]
            let message = try olm.encrypt(payload.canonical)
            messages[device.userID, default: [:]][device.deviceID] = [
                "algorithm": .string(Self.olmAlgorithm), "sender_key": .string(identity.curve25519),
                "ciphertext": .object([device.curve25519: ["type": .int(Int64(message.type)), "body": .string(message.body)]]),
            ]
            pickles.append((try olm.id, device.curve25519, try olm.pickle(key: pickleKey)))
        }
        // The Olm sessions advanced: stored before the messages go, so no message key is ever used twice.
        let advanced = pickles
        try await database.write { tx in
            for session in advanced { try tx.storeMatrixOlmSession(sessionID: session.sessionID, senderKey: session.senderKey, pickle: session.pickle, at: Date()) }
        }
        if !messages.isEmpty {
            try await api.sendToDevice(type: "m.room.encrypted", messages: messages, transactionID: "samenspraak-key-" + UUID().uuidString)
        }
        return Array(sessions.keys)
    }
}

extension Data {
    /// Matrix writes keys and signatures in base64 without its "=" padding.
    init?(unpaddedBase64 text: String) {
        let padded = text + String(repeating: "=", count: (4 - text.count % 4) % 4)
        self.init(base64Encoded: padded)
    }
}
