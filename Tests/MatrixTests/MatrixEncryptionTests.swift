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
        let household = try school.household()
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
                let withCode = try parentDevice.encryptedEvent("Mijn code: " + InviteCode.display(household.code), eventID: "$versleuteld2")
                parent.fake.rawEvent(withCode, in: Self.room)
                _ = try await parent.waitForMessage { $0.body.contains("Nederlands") }
                // The same ciphertext again as another event (a replay by the homeserver) is not read.
                parent.fake.rawEvent(withCode.replacingOccurrences(of: "$versleuteld2", with: "$herhaald"), in: Self.room)
                try await waitUntil(timeout: .seconds(20)) { log.all.contains { $0.text.contains("replayed") && $0.text.contains("$herhaald") } }
            }
            #expect(try school.runtime.database.readNow { try $0.matrixPendingEvents() }.isEmpty)
            #expect(fake.sent.filter { $0.body.hasPrefix("Welkom! Stuur de code") }.count == 1)

            // The family is erased: the room's keys go with its messages.
            let sessionID = try parentDevice.megolm.id
            #expect(try school.runtime.database.readNow { try $0.matrixInboundGroupSession(roomID: Self.room, sessionID: sessionID) } != nil)
            try school.runtime.database.writeNow { tx in
                _ = try tx.erase(household: try #require(try tx.household(id: household.id)), makeInviteCode: { UUID().uuidString })
            }
            #expect(try school.runtime.database.readNow { try $0.matrixInboundGroupSession(roomID: Self.room, sessionID: sessionID) } == nil)
        }
    }

    /// A parent's phone that reads what the bot sends: its device keys and one-time keys published on the fake
    /// homeserver, room keys taken from the bot's to-device messages, the bot's Megolm messages decrypted.
    final class ParentPhone: @unchecked Sendable {
        let user: String
        let deviceID: String
        let account: OlmAccount
        let curve25519: String
        private var olmSessions: [OlmSession] = []
        private(set) var roomKeys: [String: MegolmInboundSession] = [:]
        private var toDeviceRead = 0

        init(user: String, deviceID: String) throws {
            self.user = user
            self.deviceID = deviceID
            account = try OlmAccount.create()
            curve25519 = try account.identityKeys().curve25519
        }

        func publish(on fake: FakeHomeserver, announce: Bool) throws {
            let identity = try account.identityKeys()
            let keys: JSONValue = ["user_id": .string(user), "device_id": .string(deviceID), "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
                                   "keys": .object(["curve25519:\(deviceID)": .string(identity.curve25519), "ed25519:\(deviceID)": .string(identity.ed25519)])]
            try account.generateOneTimeKeys(5)
            let oneTimeKeys = try account.unpublishedOneTimeKeys().values.sorted().map {
                try account.signJSON(["key": .string($0)], userID: user, deviceID: deviceID).canonical
            }
            account.markKeysAsPublished()
            fake.addDevice(user: user, deviceID: deviceID, keys: try account.signJSON(keys, userID: user, deviceID: deviceID).canonical,
                           oneTimeKeys: oneTimeKeys, announce: announce)
        }

        /// The room keys the bot sent this device so far.
        func readRoomKeys(_ fake: FakeHomeserver) throws {
            let sent = fake.toDeviceSent
            for body in sent.dropFirst(toDeviceRead) {
                guard let content = try JSONValue.parse(body)["messages"]?[user]?[deviceID],
                      let senderKey = content["sender_key"]?.string, let mine = content["ciphertext"]?[curve25519],
                      let type = mine["type"]?.int, let text = mine["body"]?.string else { continue }
                let message = OlmMessage(type: Int(type), body: text)
                // Each session tried once: decrypting uses up the message's key (a lazy map would call twice).
                var plaintext: String?
                for session in olmSessions where plaintext == nil { plaintext = try? session.decrypt(message) }
                if plaintext == nil, message.type == 0 {
                    let session = try OlmSession.inbound(account: account, theirIdentityKey: senderKey, preKeyMessage: text)
                    try account.removeOneTimeKeys(for: session)
                    plaintext = try session.decrypt(message)
                    olmSessions.append(session)
                }
                let payload = try JSONValue.parse(try #require(plaintext))
                #expect(payload["recipient"]?.string == user && payload["type"]?.string == "m.room_key")
                let sessionKey = try #require(payload["content"]?["session_key"]?.string)
                let session = try MegolmInboundSession.create(sessionKey: sessionKey)
                roomKeys[try session.id] = session
            }
            toDeviceRead = sent.count
        }

        /// The bot's encrypted messages: (session id, text), or nil for one this device cannot read.
        func read(_ fake: FakeHomeserver) throws -> [(sessionID: String, text: String?)] {
            try readRoomKeys(fake)
            return try fake.encryptedSent.map { sent in
                let content = try JSONValue.parse(sent.content)
                let sessionID = try #require(content["session_id"]?.string)
                #expect(content["algorithm"]?.string == "m.megolm.v1.aes-sha2" && content["device_id"]?.string == MatrixClient.deviceID)
                guard let session = roomKeys[sessionID], let ciphertext = content["ciphertext"]?.string,
                      let plaintext = try? session.decrypt(ciphertext).plaintext else { return (sessionID, nil) }
                let payload = try JSONValue.parse(plaintext)
                #expect(payload["room_id"]?.string == MatrixEncryptionTests.room)
                return (sessionID, payload["content"]?["body"]?.string)
            }
        }
    }

    /// With an access token made elsewhere, the device is the token's (whoami), at every start.
    @Test func anAccessTokensDeviceIsTheOneThatGetsTheKeys() async throws {
        let school = try TestSchool()
        let fake = FakeHomeserver()
        try await fake.serving { port in
            var identities: [String] = []
            for _ in 1...2 {
                let uploads = fake.keyUploads
                try await MatrixBot(school: school, port: port, credentials: .accessToken(FakeHomeserver.token), pickleKey: Self.pickleKey).running {
                    try await waitUntil(timeout: .seconds(20)) { fake.keyUploads > uploads }
                }
                let keys = try JSONValue.parse(try #require(fake.deviceKeys))
                #expect(keys["device_id"]?.string == FakeHomeserver.tokenDevice)
                identities.append(try #require(keys["keys"]?["ed25519:\(FakeHomeserver.tokenDevice)"]?.string))
            }
            #expect(identities[0] == identities[1])  // the same keys after the restart
            #expect(try school.runtime.database.readNow { try $0.matrixAccount()?.deviceID } == FakeHomeserver.tokenDevice)
        }
        #expect(fake.logins == 0)
    }

    @Test func anEncryptedRoomGetsEncryptedAnswersWithKeysRotatedByCountAndByNewDevices() async throws {
        let school = try TestSchool()
        let fake = FakeHomeserver()
        let phone = try ParentPhone(user: Self.parentUser, deviceID: "TELEFOON")
        try phone.publish(on: fake, announce: false)
        fake.encrypt(room: Self.room, content: #"{"algorithm":"m.megolm.v1.aes-sha2","rotation_period_msgs":3}"#)
        let log = CapturedLog()
        try await fake.serving { port in
            let parent = MatrixParent(fake: fake, user: Self.parentUser, room: Self.room)
            try await MatrixBot(school: school, port: port, pickleKey: Self.pickleKey, logger: log.logger(label: "matrix-test")).running {
                try await parent.inviteBot()
                parent.say("Hallo")
                do {
                    try await waitUntil(timeout: .seconds(20)) { try phone.read(fake).contains { $0.text?.hasPrefix("Welkom! Stuur de code") == true } }
                } catch {
                    Issue.record("\(log.all.map(\.text)) \(fake.encryptedSent.count) \(fake.toDeviceSent.count)")
                    throw error
                }
                #expect(fake.sent.isEmpty)  // nothing in plain text in an encrypted room
                parent.say("Mijn code: " + InviteCode.display(try school.household().code))
                try await waitUntil(timeout: .seconds(20)) { try phone.read(fake).contains { $0.text?.contains("Nederlands") == true } }
                let nederlands = try #require(try phone.read(fake).compactMap(\.text).last { $0.contains("Nederlands") })
                parent.say(try #require(nederlands.split(separator: "\n").first { $0.hasSuffix(" Nederlands") }?.split(separator: ".").first).description)
                try await waitUntil(timeout: .seconds(20)) { try phone.read(fake).contains { $0.text?.contains(". Gesprek plannen") == true } }

                // Every message readable, and no session carried more than the room's 3.
                let read = try phone.read(fake)
                #expect(read.allSatisfy { $0.text != nil })
                let perSession = Dictionary(grouping: read, by: \.sessionID).mapValues(\.count)
                #expect(perSession.count >= 2 && perSession.values.allSatisfy { $0 <= 3 }, "\(perSession.values)")

                // The parent logs in on a tablet: the next answer goes with a new session whose key both devices get.
                let tablet = try ParentPhone(user: Self.parentUser, deviceID: "TABLET")
                let queries = fake.keyQueries
                // Announced in the sync before the parent's next message, so the bot knows before it answers.
                try tablet.publish(on: fake, announce: true)
                let before = Set(read.map(\.sessionID))
                parent.say("Hallo?")
                try await waitUntil(timeout: .seconds(20)) { try phone.read(fake).count > read.count }
                let next = try #require(try phone.read(fake).dropFirst(read.count).first)
                #expect(!before.contains(next.sessionID) && next.text != nil)
                #expect(try tablet.read(fake).dropFirst(read.count).first?.text == next.text)
                #expect(fake.keyQueries > queries)
            }
        }
    }
}
