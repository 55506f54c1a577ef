import COlm
import Foundation

/// A libolm call that failed, with libolm's error name (such as "BAD_MESSAGE_MAC"); never a key or a message.
public struct OlmError: Error, Equatable, CustomStringConvertible {
    public var name: String
    public var description: String { "olm: \(name)" }
}

/// Thin wrappers over libolm's Olm account, Olm session and Megolm group sessions. libolm keeps each object in memory
/// we allocate; pickles are libolm's own encrypted serialisation (AES-256 with a key derived from the pickle key), so
/// what is stored in the database is unreadable without the school's pickle key. The objects are not thread-safe:
/// `MatrixCrypto` uses them from one actor.
enum Olm {
    /// Cryptographically secure random bytes for libolm, which asks for them rather than drawing its own.
    static func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Runs a libolm call that returns `olm_error()` on failure, turning that into an `OlmError`.
    @discardableResult
    static func check(_ result: Int, _ lastError: () -> UnsafePointer<CChar>?) throws -> Int {
        if result == olm_error() { throw OlmError(name: lastError().map { String(cString: $0) } ?? "unknown") }
        return result
    }

    /// Calls `body` with a buffer of `length` bytes and returns what it wrote as text.
    static func text(length: Int, _ body: (UnsafeMutableRawPointer) throws -> Int) rethrows -> String {
        var bytes = [UInt8](repeating: 0, count: max(length, 1))
        let written = try bytes.withUnsafeMutableBytes { try body($0.baseAddress!) }
        return String(decoding: bytes.prefix(written), as: UTF8.self)
    }
}

/// Memory libolm keeps one object in; zeroed and freed with its owner.
final class OlmMemory {
    let pointer: UnsafeMutableRawPointer
    let size: Int

    init(size: Int) {
        self.size = size
        pointer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    }

    deinit {
        memset(pointer, 0, size)
        pointer.deallocate()
    }
}

/// The device's long-term identity: its curve25519 and ed25519 keys, and one-time keys for others to start sessions with.
final class OlmAccount {
    private let memory = OlmMemory(size: olm_account_size())
    let account: OpaquePointer

    private init() { account = olm_account(memory.pointer) }

    deinit { olm_clear_account(account) }

    private func check(_ result: Int) throws -> Int { try Olm.check(result) { olm_account_last_error(account) } }

    static func create() throws -> OlmAccount {
        let new = OlmAccount()
        var random = Olm.random(olm_create_account_random_length(new.account))
        _ = try new.check(olm_create_account(new.account, &random, random.count))
        return new
    }

    static func unpickle(_ pickle: String, key: [UInt8]) throws -> OlmAccount {
        let new = OlmAccount()
        var bytes = Array(pickle.utf8)
        _ = try new.check(olm_unpickle_account(new.account, key, key.count, &bytes, bytes.count))
        return new
    }

    func pickle(key: [UInt8]) throws -> String {
        try Olm.text(length: olm_pickle_account_length(account)) { try check(olm_pickle_account(account, key, key.count, $0, olm_pickle_account_length(account))) }
    }

    /// (curve25519, ed25519), unpadded base64.
    func identityKeys() throws -> (curve25519: String, ed25519: String) {
        let json = try Olm.text(length: olm_account_identity_keys_length(account)) {
            try check(olm_account_identity_keys(account, $0, olm_account_identity_keys_length(account)))
        }
        let keys = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        guard let curve = keys["curve25519"], let ed = keys["ed25519"] else { throw OlmError(name: "IDENTITY_KEYS") }
        return (curve, ed)
    }

    /// The ed25519 signature of `message`, unpadded base64.
    func sign(_ message: String) throws -> String {
        let bytes = Array(message.utf8)
        return try Olm.text(length: olm_account_signature_length(account)) {
            try check(olm_account_sign(account, bytes, bytes.count, $0, olm_account_signature_length(account)))
        }
    }

    /// How many one-time keys the account can hold; more generated push the oldest out.
    var maximumOneTimeKeys: Int { olm_account_max_number_of_one_time_keys(account) }

    func generateOneTimeKeys(_ count: Int) throws {
        var random = Olm.random(olm_account_generate_one_time_keys_random_length(account, count))
        _ = try check(olm_account_generate_one_time_keys(account, count, &random, random.count))
    }

    /// The one-time keys not yet published: key id → curve25519 key.
    func unpublishedOneTimeKeys() throws -> [String: String] {
        let json = try Olm.text(length: olm_account_one_time_keys_length(account)) {
            try check(olm_account_one_time_keys(account, $0, olm_account_one_time_keys_length(account)))
        }
        return try JSONDecoder().decode([String: [String: String]].self, from: Data(json.utf8))["curve25519"] ?? [:]
    }

    func markKeysAsPublished() { olm_account_mark_keys_as_published(account) }

    /// A one-time key used by an inbound session can never be used again.
    func removeOneTimeKeys(for session: OlmSession) throws {
        _ = try check(olm_remove_one_time_keys(account, session.session))
    }
}

/// An Olm message: type 0 starts a session (a "pre-key" message), type 1 is a normal one.
struct OlmMessage: Equatable, Sendable {
    var type: Int
    var body: String
}

/// A 1:1 Olm session with one device, for to-device messages (room keys).
final class OlmSession {
    private let memory = OlmMemory(size: olm_session_size())
    let session: OpaquePointer

    private init() { session = olm_session(memory.pointer) }

    deinit { olm_clear_session(session) }

    private func check(_ result: Int) throws -> Int { try Olm.check(result) { olm_session_last_error(session) } }

    /// A session to a device from its identity key and one of its one-time keys (claimed from the homeserver).
    static func outbound(account: OlmAccount, theirIdentityKey: String, theirOneTimeKey: String) throws -> OlmSession {
        let new = OlmSession()
        var random = Olm.random(olm_create_outbound_session_random_length(new.session))
        let identity = Array(theirIdentityKey.utf8), oneTime = Array(theirOneTimeKey.utf8)
        _ = try new.check(olm_create_outbound_session(new.session, account.account, identity, identity.count, oneTime, oneTime.count, &random, random.count))
        return new
    }

    /// A session started by another device's pre-key message (which is decrypted afterwards with `decrypt`).
    static func inbound(account: OlmAccount, theirIdentityKey: String, preKeyMessage: String) throws -> OlmSession {
        let new = OlmSession()
        let identity = Array(theirIdentityKey.utf8)
        var message = Array(preKeyMessage.utf8)  // libolm decodes it in place
        _ = try new.check(olm_create_inbound_session_from(new.session, account.account, identity, identity.count, &message, message.count))
        return new
    }

    static func unpickle(_ pickle: String, key: [UInt8]) throws -> OlmSession {
        let new = OlmSession()
        var bytes = Array(pickle.utf8)
        _ = try new.check(olm_unpickle_session(new.session, key, key.count, &bytes, bytes.count))
        return new
    }

    func pickle(key: [UInt8]) throws -> String {
        try Olm.text(length: olm_pickle_session_length(session)) { try check(olm_pickle_session(session, key, key.count, $0, olm_pickle_session_length(session))) }
    }

    var id: String {
        get throws { try Olm.text(length: olm_session_id_length(session)) { try check(olm_session_id(session, $0, olm_session_id_length(session))) } }
    }

    /// Whether a pre-key message belongs to this session (it was started by it).
    func matches(preKeyMessage: String, from theirIdentityKey: String) -> Bool {
        let identity = Array(theirIdentityKey.utf8)
        var message = Array(preKeyMessage.utf8)
        return olm_matches_inbound_session_from(session, identity, identity.count, &message, message.count) == 1
    }

    func encrypt(_ plaintext: String) throws -> OlmMessage {
        let bytes = Array(plaintext.utf8)
        let type = olm_encrypt_message_type(session)
        var random = Olm.random(olm_encrypt_random_length(session))
        let length = olm_encrypt_message_length(session, bytes.count)
        let body = try Olm.text(length: length) { try check(olm_encrypt(session, bytes, bytes.count, &random, random.count, $0, length)) }
        return OlmMessage(type: type, body: body)
    }

    func decrypt(_ message: OlmMessage) throws -> String {
        var probe = Array(message.body.utf8)  // both calls decode their input in place: each gets its own copy
        let maximum = try check(olm_decrypt_max_plaintext_length(session, message.type, &probe, probe.count))
        var input = Array(message.body.utf8)
        return try Olm.text(length: maximum) { try check(olm_decrypt(session, message.type, &input, input.count, $0, maximum)) }
    }
}

/// The sending side of a Megolm session: one per encrypted room, its key shared with every device in the room.
final class MegolmOutboundSession {
    private let memory = OlmMemory(size: olm_outbound_group_session_size())
    let session: OpaquePointer

    private init() { session = olm_outbound_group_session(memory.pointer) }

    deinit { olm_clear_outbound_group_session(session) }

    private func check(_ result: Int) throws -> Int { try Olm.check(result) { olm_outbound_group_session_last_error(session) } }

    static func create() throws -> MegolmOutboundSession {
        let new = MegolmOutboundSession()
        var random = Olm.random(olm_init_outbound_group_session_random_length(new.session))
        _ = try new.check(olm_init_outbound_group_session(new.session, &random, random.count))
        return new
    }

    static func unpickle(_ pickle: String, key: [UInt8]) throws -> MegolmOutboundSession {
        let new = MegolmOutboundSession()
        var bytes = Array(pickle.utf8)
        _ = try new.check(olm_unpickle_outbound_group_session(new.session, key, key.count, &bytes, bytes.count))
        return new
    }

    func pickle(key: [UInt8]) throws -> String {
        let length = olm_pickle_outbound_group_session_length(session)
        return try Olm.text(length: length) { try check(olm_pickle_outbound_group_session(session, key, key.count, $0, length)) }
    }

    var id: String {
        get throws {
            let length = olm_outbound_group_session_id_length(session)
            return try Olm.text(length: length) { try check(olm_outbound_group_session_id(session, $0.assumingMemoryBound(to: UInt8.self), length)) }
        }
    }

    /// The session key as it is now (the current ratchet): what an `m.room_key` carries.
    var sessionKey: String {
        get throws {
            let length = olm_outbound_group_session_key_length(session)
            return try Olm.text(length: length) { try check(olm_outbound_group_session_key(session, $0.assumingMemoryBound(to: UInt8.self), length)) }
        }
    }

    /// How many messages this session has encrypted.
    var messageIndex: Int { Int(olm_outbound_group_session_message_index(session)) }

    func encrypt(_ plaintext: String) throws -> String {
        let bytes = Array(plaintext.utf8)
        let length = olm_group_encrypt_message_length(session, bytes.count)
        return try Olm.text(length: length) { try check(olm_group_encrypt(session, bytes, bytes.count, $0.assumingMemoryBound(to: UInt8.self), length)) }
    }
}

/// The receiving side of a Megolm session, made from the key another device sent us in an `m.room_key`.
final class MegolmInboundSession {
    private let memory = OlmMemory(size: olm_inbound_group_session_size())
    let session: OpaquePointer

    private init() { session = olm_inbound_group_session(memory.pointer) }

    deinit { olm_clear_inbound_group_session(session) }

    private func check(_ result: Int) throws -> Int { try Olm.check(result) { olm_inbound_group_session_last_error(session) } }

    static func create(sessionKey: String) throws -> MegolmInboundSession {
        let new = MegolmInboundSession()
        let key = Array(sessionKey.utf8)
        _ = try new.check(olm_init_inbound_group_session(new.session, key, key.count))
        return new
    }

    static func unpickle(_ pickle: String, key: [UInt8]) throws -> MegolmInboundSession {
        let new = MegolmInboundSession()
        var bytes = Array(pickle.utf8)
        _ = try new.check(olm_unpickle_inbound_group_session(new.session, key, key.count, &bytes, bytes.count))
        return new
    }

    func pickle(key: [UInt8]) throws -> String {
        let length = olm_pickle_inbound_group_session_length(session)
        return try Olm.text(length: length) { try check(olm_pickle_inbound_group_session(session, key, key.count, $0, length)) }
    }

    var id: String {
        get throws {
            let length = olm_inbound_group_session_id_length(session)
            return try Olm.text(length: length) { try check(olm_inbound_group_session_id(session, $0.assumingMemoryBound(to: UInt8.self), length)) }
        }
    }

    /// The plaintext and its message index (an index seen twice for different events is a replay).
    func decrypt(_ ciphertext: String) throws -> (plaintext: String, index: Int) {
        var probe = Array(ciphertext.utf8)
        let maximum = try check(olm_group_decrypt_max_plaintext_length(session, &probe, probe.count))
        var input = Array(ciphertext.utf8)
        var index: UInt32 = 0
        let plaintext = try Olm.text(length: maximum) {
            try check(olm_group_decrypt(session, &input, input.count, $0.assumingMemoryBound(to: UInt8.self), maximum, &index))
        }
        return (plaintext, Int(index))
    }
}
