import Foundation

/// A device of a Matrix user, from /keys/query.
public struct MatrixDeviceKeys: Sendable, Equatable, Hashable {
    public var userID: String
    public var deviceID: String
    public var curve25519: String
    public var ed25519: String

    public init(userID: String, deviceID: String, curve25519: String, ed25519: String) {
        self.userID = userID
        self.deviceID = deviceID
        self.curve25519 = curve25519
        self.ed25519 = ed25519
    }
}

/// Our Megolm session in a room, as stored.
public struct MatrixOutboundSessionRecord: Sendable {
    public var sessionID: String
    public var pickle: String
    /// "user device curve25519", one a line: the devices that were sent its key.
    public var sharedWith: String
    public var messageCount: Int
    public var createdAt: Date

    public init(sessionID: String, pickle: String, sharedWith: String, messageCount: Int, createdAt: Date) {
        self.sessionID = sessionID
        self.pickle = pickle
        self.sharedWith = sharedWith
        self.messageCount = messageCount
        self.createdAt = createdAt
    }
}

/// A room's encryption settings (m.room.encryption); a nil algorithm: not encrypted.
public struct MatrixRoomEncryption: Sendable, Equatable {
    public var algorithm: String?
    public var rotationPeriodMS: Int64?
    public var rotationPeriodMessages: Int?

    public init(algorithm: String?, rotationPeriodMS: Int64? = nil, rotationPeriodMessages: Int? = nil) {
        self.algorithm = algorithm
        self.rotationPeriodMS = rotationPeriodMS
        self.rotationPeriodMessages = rotationPeriodMessages
    }
}

/// The Matrix device's end-to-end encryption state (v19). Pickles arrive here already encrypted by libolm.
extension Transaction {
    // MARK: - Account

    public func matrixAccount() throws -> (userID: String, deviceID: String, pickle: String)? {
        try row("SELECT userID, deviceID, pickle FROM matrixCryptoAccount WHERE id = 1").map { ($0[0], $0[1], $0[2]) }
    }

    public func storeMatrixAccount(userID: String, deviceID: String, pickle: String, at now: Date) throws {
        try execute("""
            INSERT INTO matrixCryptoAccount (id, userID, deviceID, pickle, updatedAt) VALUES (1, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET userID = excluded.userID, deviceID = excluded.deviceID, pickle = excluded.pickle, updatedAt = excluded.updatedAt
            """, [userID, deviceID, pickle, now])
    }

    // MARK: - Olm sessions

    /// The sessions with a device (its curve25519 key), the most recently used first.
    public func matrixOlmSessions(senderKey: String) throws -> [(sessionID: String, pickle: String)] {
        try rows("SELECT sessionID, pickle FROM matrixOlmSession WHERE senderKey = ? ORDER BY lastUsedAt DESC, sessionID", [senderKey]).map { ($0[0], $0[1]) }
    }

    public func storeMatrixOlmSession(sessionID: String, senderKey: String, pickle: String, at now: Date) throws {
        try execute("""
            INSERT INTO matrixOlmSession (sessionID, senderKey, pickle, lastUsedAt) VALUES (?, ?, ?, ?)
            ON CONFLICT (sessionID) DO UPDATE SET pickle = excluded.pickle, lastUsedAt = excluded.lastUsedAt
            """, [sessionID, senderKey, pickle, now])
    }

    // MARK: - Megolm sessions

    public func matrixInboundGroupSession(roomID: String, sessionID: String) throws -> (senderKey: String, senderUserID: String, pickle: String)? {
        try row("""
            SELECT senderKey, senderUserID, pickle FROM matrixInboundGroupSession WHERE roomID = ? AND sessionID = ?
            """, [roomID, sessionID]).map { ($0[0], $0[1], $0[2]) }
    }

    /// Keeps the first key of a session: a later copy (a replay, or a key from another sender) does not replace it.
    public func storeMatrixInboundGroupSession(roomID: String, sessionID: String, senderKey: String, senderUserID: String, pickle: String,
                                               at now: Date) throws {
        try execute("""
            INSERT INTO matrixInboundGroupSession (roomID, sessionID, senderKey, senderUserID, pickle, createdAt) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """, [roomID, sessionID, senderKey, senderUserID, pickle, now])
    }

    /// Records that a Megolm message index was read from this event; false when another event had it (a replay).
    public func recordMatrixMegolmIndex(roomID: String, sessionID: String, messageIndex: Int, eventID: String) throws -> Bool {
        try execute("""
            INSERT INTO matrixMegolmIndex (roomID, sessionID, messageIndex, eventID) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING
            """, [roomID, sessionID, messageIndex, eventID])
        let first = try value("""
            SELECT eventID FROM matrixMegolmIndex WHERE roomID = ? AND sessionID = ? AND messageIndex = ?
            """, [roomID, sessionID, messageIndex], as: String.self)
        return first == eventID
    }

    public func matrixOutboundGroupSession(roomID: String) throws -> MatrixOutboundSessionRecord? {
        try row("""
            SELECT sessionID, pickle, sharedWith, messageCount, createdAt FROM matrixOutboundGroupSession WHERE roomID = ?
            """, [roomID]).map { MatrixOutboundSessionRecord(sessionID: $0[0], pickle: $0[1], sharedWith: $0[2], messageCount: $0[3], createdAt: $0[4]) }
    }

    public func storeMatrixOutboundGroupSession(roomID: String, _ record: MatrixOutboundSessionRecord) throws {
        try execute("""
            INSERT INTO matrixOutboundGroupSession (roomID, sessionID, pickle, sharedWith, messageCount, createdAt) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (roomID) DO UPDATE SET sessionID = excluded.sessionID, pickle = excluded.pickle, sharedWith = excluded.sharedWith,
                messageCount = excluded.messageCount, createdAt = excluded.createdAt
            """, [roomID, record.sessionID, record.pickle, record.sharedWith, record.messageCount, record.createdAt])
    }

    /// The room's members changed: its next message goes with a new session.
    public func discardMatrixOutboundGroupSession(roomID: String) throws {
        try execute("DELETE FROM matrixOutboundGroupSession WHERE roomID = ?", [roomID])
    }

    /// Everything that would read or write a room's encrypted messages (a family's erasure).
    func forgetMatrixRoomKeys(roomID: String) throws {
        for table in ["matrixInboundGroupSession", "matrixMegolmIndex", "matrixOutboundGroupSession", "matrixPendingEvent", "matrixRoomEncryption"] {
            try execute("DELETE FROM \(table) WHERE roomID = ?", [roomID])
        }
    }

    // MARK: - Rooms

    public func matrixRoomEncryption(roomID: String) throws -> MatrixRoomEncryption? {
        try row("SELECT algorithm, rotationPeriodMS, rotationPeriodMessages FROM matrixRoomEncryption WHERE roomID = ?", [roomID]).map { MatrixRoomEncryption(algorithm: $0[0], rotationPeriodMS: $0[1], rotationPeriodMessages: $0[2]) }
    }

    /// Once encrypted, a room stays encrypted: a later "not encrypted" never replaces it (Matrix forbids turning it off).
    public func storeMatrixRoomEncryption(roomID: String, _ encryption: MatrixRoomEncryption, at now: Date) throws {
        try execute("""
            INSERT INTO matrixRoomEncryption (roomID, algorithm, rotationPeriodMS, rotationPeriodMessages, updatedAt) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (roomID) DO UPDATE SET algorithm = excluded.algorithm, rotationPeriodMS = excluded.rotationPeriodMS,
                rotationPeriodMessages = excluded.rotationPeriodMessages, updatedAt = excluded.updatedAt
            WHERE excluded.algorithm IS NOT NULL OR matrixRoomEncryption.algorithm IS NULL
            """, [roomID, encryption.algorithm, encryption.rotationPeriodMS, encryption.rotationPeriodMessages, now])
    }

    // MARK: - Device lists

    /// The users' cached devices; users never queried or whose devices changed since are in `outdated`.
    public func matrixDevices(of users: [String]) throws -> (devices: [MatrixDeviceKeys], outdated: [String]) {
        var devices: [MatrixDeviceKeys] = []
        var outdated: [String] = []
        for user in users {
            guard let isOutdated = try value("SELECT outdated FROM matrixDeviceList WHERE userID = ?", [user], as: Bool.self), !isOutdated else {
                outdated.append(user)
                continue
            }
            devices += try rows("SELECT deviceID, curve25519, ed25519 FROM matrixDevice WHERE userID = ? ORDER BY deviceID", [user]).map { MatrixDeviceKeys(userID: user, deviceID: $0[0], curve25519: $0[1], ed25519: $0[2]) }
        }
        return (devices, outdated)
    }

    /// A user's devices as /keys/query gave them, replacing what was cached.
    public func storeMatrixDevices(of user: String, _ devices: [MatrixDeviceKeys], at now: Date) throws {
        try execute("""
            INSERT INTO matrixDeviceList (userID, outdated, updatedAt) VALUES (?, FALSE, ?)
            ON CONFLICT (userID) DO UPDATE SET outdated = FALSE, updatedAt = excluded.updatedAt
            """, [user, now])
        try execute("DELETE FROM matrixDevice WHERE userID = ?", [user])
        for device in devices {
            try execute("INSERT INTO matrixDevice (userID, deviceID, curve25519, ed25519) VALUES (?, ?, ?, ?)", [user, device.deviceID, device.curve25519, device.ed25519])
        }
    }

    /// /sync's device_lists.changed: these users' devices are queried again before the next key is shared with them.
    public func markMatrixDevicesOutdated(_ users: [String], at now: Date) throws {
        for user in users { try execute("UPDATE matrixDeviceList SET outdated = TRUE, updatedAt = ? WHERE userID = ?", [now, user]) }
    }

    // MARK: - Events waiting for their key

    public func storeMatrixPendingEvent(eventID: String, roomID: String, sessionID: String, event: String, at now: Date) throws {
        try execute("""
            INSERT INTO matrixPendingEvent (eventID, roomID, sessionID, event, receivedAt) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """, [eventID, roomID, sessionID, event, now])
    }

    /// The events waiting for a session's key (all of them when nil), oldest first.
    public func matrixPendingEvents(roomID: String? = nil, sessionID: String? = nil) throws -> [(eventID: String, event: String)] {
        if let roomID, let sessionID {
            return try rows("SELECT eventID, event FROM matrixPendingEvent WHERE roomID = ? AND sessionID = ? ORDER BY receivedAt, eventID", [roomID, sessionID]).map { ($0[0], $0[1]) }
        }
        return try rows("SELECT eventID, event FROM matrixPendingEvent ORDER BY receivedAt, eventID").map { ($0[0], $0[1]) }
    }

    public func deleteMatrixPendingEvent(eventID: String) throws {
        try execute("DELETE FROM matrixPendingEvent WHERE eventID = ?", [eventID])
    }

    /// Events whose key never came (the sender's device is gone), after `cutoff`: nothing will ever read them.
    public func deleteMatrixPendingEvents(receivedBefore cutoff: Date) throws -> Int {
        try execute("DELETE FROM matrixPendingEvent WHERE receivedAt < ?", [cutoff])
    }
}
