import Foundation
import SamenspraakCore
@testable import Matrix
import Storage
import Testing
import TestSupport

/// The bot as an encryption device against the fake homeserver, with a parent's device made here from libolm: keys
/// published and topped up, and an encrypted message whose room key comes only later (after a restart, even) read
/// when it comes — kept meanwhile, handled once.
@Suite struct MatrixEncryptionTests {
    static let pickleKey = "sleutel-van-de-school"
    static let room = "!versleuteld:\(MatrixHarness.parentServer)"
    static let parentUser = "@ouder:\(MatrixHarness.parentServer)"

    /// A parent's device: its Olm account and a Megolm session for the room.
    final class ParentDevice: @unchecked Sendable {
        let account: OlmAccount
        let megolm: MegolmOutboundSession
        let curve25519: String
        let ed25519: String
        /// The key from before the first message: shared later, it still reads every message of the session.
        let sessionKey: String

        init() throws {
            account = try OlmAccount.create()
            megolm = try MegolmOutboundSession.create()
            sessionKey = try megolm.sessionKey
            (curve25519, ed25519) = try account.identityKeys()
        }

        /// A room message as Element sends it in an encrypted room.
        func encryptedEvent(_ text: String, eventID: String) throws -> String {
            let payload: JSONValue = ["type": "m.room.message", "content": ["msgtype": "m.text", "body": .string(text)], "room_id": .string(MatrixEncryptionTests.room)]
            let content: JSONValue = ["algorithm": "m.megolm.v1.aes-sha2", "ciphertext": .string(try megolm.encrypt(payload.canonical)),
                                      "sender_key": .string(curve25519), "session_id": .string(try megolm.id), "device_id": "OUDERTELEFOON"]
            let event: JSONValue = ["type": "m.room.encrypted", "event_id": .string(eventID), "sender": .string(MatrixEncryptionTests.parentUser),
                                    "origin_server_ts": 1_795_424_400_000, "content": content]
            return event.canonical
        }

        /// The room key for the bot's device, Olm-encrypted with one of its one-time keys, as a to-device event.
        func roomKeyEvent(botDeviceKeys: JSONValue, botOneTimeKey: JSONValue) throws -> String {
            let botCurve = try #require(botDeviceKeys["keys"]?["curve25519:SAMENSPRAAK"]?.string)
            let botEd = try #require(botDeviceKeys["keys"]?["ed25519:SAMENSPRAAK"]?.string)
            let olm = try OlmSession.outbound(account: account, theirIdentityKey: botCurve, theirOneTimeKey: try #require(botOneTimeKey["key"]?.string))
            let payload: JSONValue = [
                "type": "m.room_key", "sender": .string(MatrixEncryptionTests.parentUser), "sender_device": "OUDERTELEFOON",
                "recipient": .string(FakeHomeserver.bot), "recipient_keys": ["ed25519": .string(botEd)], "keys": ["ed25519": .string(ed25519)],
                "content": ["algorithm": "m.megolm.v1.aes-sha2", "room_id": .string(MatrixEncryptionTests.room), "session_id": .string(try megolm.id),
                            "session_key": .string(sessionKey)],
            ]
            let message = try olm.encrypt(payload.canonical)
            let event: JSONValue = ["type": "m.room.encrypted", "sender": .string(MatrixEncryptionTests.parentUser), "content": [
                "algorithm": "m.olm.v1.curve25519-aes-sha2", "sender_key": .string(curve25519),
                "ciphertext": .object([botCurve: ["type": .int(Int64(message.type)), "body": .string(message.body)]]),
            ]]
            return event.canonical
        }
    }

    @Test func aMessageWhoseKeyComesLaterIsKeptAndReadWhenItComesAfterARestart() async throws {
        let school = try TestSchool()
        let fake = FakeHomeserver()
        let parentDevice = try ParentDevice()
        let log = CapturedLog()
        defer {
            // Ids only: no text, no keys, no user or room.
            for line in log.all {
                for secret in ["Hallo", "Mijn code", Self.parentUser, Self.room, Self.pickleKey, parentDevice.curve25519] {
                    #expect(!line.text.contains(secret), "\(line.text)")
                }
            }
        }
        try await fake.serving { port in
            let parent = MatrixParent(fake: fake, user: Self.parentUser, room: Self.room)
            // The key the parent sent before the bot's first start is lost; the message waits in the database.
            try await MatrixBot(school: school, port: port, pickleKey: Self.pickleKey, logger: log.logger(label: "matrix-test")).running {
                try await waitUntil(timeout: .seconds(20)) { fake.deviceKeys != nil && fake.oneTimeKeyCount >= MatrixCrypto.oneTimeKeyTarget }
                let deviceKeys = try JSONValue.parse(try #require(fake.deviceKeys))
                #expect(MatrixCrypto.isSigned(deviceKeys, by: FakeHomeserver.bot, device: "SAMENSPRAAK",
                                              ed25519: try #require(deviceKeys["keys"]?["ed25519:SAMENSPRAAK"]?.string)))
                try await parent.inviteBot()
                fake.rawEvent(try parentDevice.encryptedEvent("Hallo", eventID: "$versleuteld1"), in: Self.room)
                try await waitUntil(timeout: .seconds(20)) { (try? school.runtime.database.readNow { try $0.matrixPendingEvents() })?.count == 1 }
            }
            #expect(fake.sent.isEmpty)

            let uploadsBefore = fake.keyUploads
            try await MatrixBot(school: school, port: port, pickleKey: Self.pickleKey, logger: log.logger(label: "matrix-test")).running {
                // The same device, with the same keys, after the restart.
                try await waitUntil(timeout: .seconds(20)) { fake.keyUploads > uploadsBefore }
                let deviceKeys = try JSONValue.parse(try #require(fake.deviceKeys))
                let oneTimeKey = try JSONValue.parse(try #require(fake.claimOneTimeKey()))
                fake.sendToDevice(try parentDevice.roomKeyEvent(botDeviceKeys: deviceKeys, botOneTimeKey: oneTimeKey))
                let ask: FakeHomeserver.Sent
                do { ask = try await parent.waitForMessage { $0.body.hasPrefix("Welkom! Stuur de code") } } catch {
                    Issue.record("\(log.all.map(\.text))")
                    throw error
                }
                #expect(ask.transactionID.hasPrefix("answer-"))
                // The next message in the same Megolm session is read at once.
                parent.fake.rawEvent(try parentDevice.encryptedEvent("Mijn code: " + InviteCode.display(try school.household().code), eventID: "$versleuteld2"),
                                     in: Self.room)
                _ = try await parent.waitForMessage { $0.body.contains("Nederlands") }
            }
            #expect(try school.runtime.database.readNow { try $0.matrixPendingEvents() }.isEmpty)
            #expect(fake.sent.filter { $0.body.hasPrefix("Welkom! Stuur de code") }.count == 1)
        }
    }
}
