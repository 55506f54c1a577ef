import Crypto
import Foundation
@testable import Matrix
import Storage
import Testing
import TestSupport

/// The libolm wrapper (Olm and Megolm round trips between two accounts, pickles), canonical JSON and signing with the
/// Matrix specification's own examples, and the crypto tables of migration v19.
@Suite struct MatrixCryptoUnitTests {
    static let key = MatrixCrypto.pickleKey(from: "sleutel-van-de-school")

    @Test func anOlmSessionCarriesMessagesBothWaysAndSurvivesPickling() throws {
        let alice = try OlmAccount.create(), bob = try OlmAccount.create()
        try bob.generateOneTimeKeys(1)
        let bobsOneTimeKey = try #require(try bob.unpublishedOneTimeKeys().values.first)
        bob.markKeysAsPublished()
        #expect(try bob.unpublishedOneTimeKeys().isEmpty)

        let outbound = try OlmSession.outbound(account: alice, theirIdentityKey: try bob.identityKeys().curve25519, theirOneTimeKey: bobsOneTimeKey)
        let first = try outbound.encrypt("hallo bob")
        #expect(first.type == 0)  // a pre-key message: it starts the session
        let aliceCurve = try alice.identityKeys().curve25519
        let inbound = try OlmSession.inbound(account: bob, theirIdentityKey: aliceCurve, preKeyMessage: first.body)
        #expect(inbound.matches(preKeyMessage: first.body, from: aliceCurve))
        try bob.removeOneTimeKeys(for: inbound)
        #expect(try inbound.decrypt(first) == "hallo bob")
        #expect(try inbound.id == outbound.id)

        // Through a pickle, as stored in the database; a wrong key cannot open it.
        let restored = try OlmSession.unpickle(try inbound.pickle(key: Self.key), key: Self.key)
        let reply = try restored.encrypt("hallo alice")
        #expect(reply.type == 1)
        #expect(try outbound.decrypt(reply) == "hallo alice")
        #expect(throws: OlmError.self) { try OlmSession.unpickle(try inbound.pickle(key: Self.key), key: MatrixCrypto.pickleKey(from: "fout")) }
        // The same message twice is refused (its key is used up), not decrypted again.
        #expect(throws: OlmError.self) { try outbound.decrypt(reply) }

        let bobAgain = try OlmAccount.unpickle(try bob.pickle(key: Self.key), key: Self.key)
        #expect(try bobAgain.identityKeys().ed25519 == bob.identityKeys().ed25519)
    }

    @Test func aMegolmSessionIsReadWithItsSharedKeyAndItsIndexGrows() throws {
        let outbound = try MegolmOutboundSession.create()
        let inbound = try MegolmInboundSession.create(sessionKey: try outbound.sessionKey)
        #expect(try inbound.id == outbound.id)
        let first = try outbound.encrypt(#"{"type":"m.room.message"}"#)
        let second = try outbound.encrypt("tweede")
        #expect(outbound.messageIndex == 2)
        let decrypted = try inbound.decrypt(second)
        #expect(decrypted.plaintext == "tweede" && decrypted.index == 1)
        let restoredIn = try MegolmInboundSession.unpickle(try inbound.pickle(key: Self.key), key: Self.key)
        #expect(try restoredIn.decrypt(first).plaintext == #"{"type":"m.room.message"}"#)
        let restoredOut = try MegolmOutboundSession.unpickle(try outbound.pickle(key: Self.key), key: Self.key)
        let restoredID = try restoredOut.id, originalID = try outbound.id
        #expect(restoredOut.messageIndex == 2 && restoredID == originalID)
        // A key shared later (from the current ratchet) cannot read what came before it.
        let late = try MegolmInboundSession.create(sessionKey: try outbound.sessionKey)
        #expect(throws: OlmError.self) { try late.decrypt(first) }
        #expect(try late.decrypt(try outbound.encrypt("derde")).index == 2)
    }

    /// https://spec.matrix.org/v1.11/appendices/#canonical-json
    @Test func canonicalJSONAsTheSpecificationGivesIt() throws {
        let examples = [
            ("{}", "{}"),
            (#"{ "one": 1, "two": "Two" }"#, #"{"one":1,"two":"Two"}"#),
            (#"{"b":"2","a":"1"}"#, #"{"a":"1","b":"2"}"#),
            (#"{"auth":{"success":true,"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"medium":"email","address":"john.doe@example.org"},{"medium":"msisdn","address":"123456789"}]}}}"#,
             #"{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}"#),
            (#"{"a": "日本語"}"#, #"{"a":"日本語"}"#),
            (#"{"本": 2, "日": 1}"#, #"{"日":1,"本":2}"#),
            (#"{"a": "\u65E5"}"#, #"{"a":"日"}"#),
            (#"{"a": null}"#, #"{"a":null}"#),
            (#"{"a": "x\ny\u0001\"/"}"#, #"{"a":"x\ny\u0001\"/"}"#),
        ]
        for (given, canonical) in examples { #expect(try JSONValue.parse(given).canonical == canonical) }
    }

    /// The specification's signing examples (key "ed25519:1" from the seed below, signed as "domain").
    @Test func signaturesOverCanonicalJSONMatchTheSpecificationsExamples() throws {
        let seed = try #require(Data(unpaddedBase64: "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"))
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        let publicKey = Data(key.publicKey.rawRepresentation).base64EncodedString().replacingOccurrences(of: "=", with: "")
        let examples: [(JSONValue, String)] = [
            ([:], "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"),
            (["one": 1, "two": "Two"], "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"),
        ]
        for (object, expected) in examples {
            let signature = try key.signature(for: Data(object.canonical.utf8)).base64EncodedString().replacingOccurrences(of: "=", with: "")
            #expect(signature == expected)
            var signed = object
            signed["signatures"] = ["domain": ["ed25519:1": .string(expected)]]
            signed["unsigned"] = ["age_ts": 922_834_800_000]  // not covered by the signature
            #expect(MatrixCrypto.isSigned(signed, by: "domain", device: "1", ed25519: publicKey))
            signed["one"] = 2
            #expect(!MatrixCrypto.isSigned(signed, by: "domain", device: "1", ed25519: publicKey))
        }

        // The account signs its device keys the same way, and the signature checks out with its ed25519 key.
        let account = try OlmAccount.create()
        let device: JSONValue = ["user_id": "@samenspraak:school.example", "device_id": "SAMENSPRAAK", "algorithms": ["m.megolm.v1.aes-sha2"]]
        let signed = try account.signJSON(device, userID: "@samenspraak:school.example", deviceID: "SAMENSPRAAK")
        #expect(MatrixCrypto.isSigned(signed, by: "@samenspraak:school.example", device: "SAMENSPRAAK", ed25519: try account.identityKeys().ed25519))
    }

    @Test func theCryptoTablesKeepPendingEventsSessionsAndDevices() throws {
        let school = try TestSchool()
        let now = Date()
        try school.runtime.database.writeNow { tx in
            try tx.storeMatrixAccount(userID: "@bot:s", deviceID: "SAMENSPRAAK", pickle: "p1", at: now)
            try tx.storeMatrixPendingEvent(eventID: "$1", roomID: "!r", sessionID: "s1", event: "{}", at: now)
            try tx.storeMatrixPendingEvent(eventID: "$1", roomID: "!r", sessionID: "s1", event: "{}", at: now)  // twice: once
            try tx.storeMatrixPendingEvent(eventID: "$2", roomID: "!r", sessionID: "s2", event: "{}", at: now.addingTimeInterval(-40 * 86400))
            try tx.storeMatrixRoomEncryption(roomID: "!r", MatrixRoomEncryption(algorithm: "m.megolm.v1.aes-sha2", rotationPeriodMessages: 10), at: now)
            try tx.storeMatrixRoomEncryption(roomID: "!r", MatrixRoomEncryption(algorithm: nil), at: now)  // never switched off again
            try tx.storeMatrixDevices(of: "@ouder:s", [MatrixDeviceKeys(userID: "@ouder:s", deviceID: "D", curve25519: "c", ed25519: "e")], at: now)
            try tx.markMatrixDevicesOutdated(["@ouder:s"], at: now)
            #expect(try tx.recordMatrixMegolmIndex(roomID: "!r", sessionID: "s1", messageIndex: 0, eventID: "$1"))
            #expect(try tx.recordMatrixMegolmIndex(roomID: "!r", sessionID: "s1", messageIndex: 0, eventID: "$1"))  // the same event again
            #expect(try !tx.recordMatrixMegolmIndex(roomID: "!r", sessionID: "s1", messageIndex: 0, eventID: "$2"))  // a replay
        }
        try school.runtime.database.readNow { tx in
            #expect(try tx.matrixAccount()?.deviceID == "SAMENSPRAAK")
            #expect(try tx.matrixPendingEvents(roomID: "!r", sessionID: "s1").map(\.eventID) == ["$1"])
            #expect(try tx.matrixPendingEvents().count == 2)
            #expect(try tx.matrixRoomEncryption(roomID: "!r") == MatrixRoomEncryption(algorithm: "m.megolm.v1.aes-sha2", rotationPeriodMessages: 10))
            let devices = try tx.matrixDevices(of: ["@ouder:s", "@nieuw:s"])
            #expect(devices.devices.isEmpty && devices.outdated == ["@ouder:s", "@nieuw:s"])
        }
        #expect(try school.runtime.database.writeNow { try $0.deleteMatrixPendingEvents(receivedBefore: now.addingTimeInterval(-30 * 86400)) } == 1)
    }
}
