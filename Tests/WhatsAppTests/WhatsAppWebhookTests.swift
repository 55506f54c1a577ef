import App
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SamenspraakCore
import Storage
import Testing
import TestSupport
import WhatsApp

/// The webhook over real HTTP on 127.0.0.1: the verification handshake, signatures, and realistic payloads one per
/// row, each checked for what it must change in the database. Payload shapes follow Meta's webhook reference.
@Suite struct WhatsAppWebhookTests {
    @Test func theVerificationHandshakeEchoesTheChallengeOnlyForTheRightToken() async throws {
        let school = try TestSchool()
        let app = try buildApplication(school.runtime, logger: WhatsAppHarness.logger, whatsappWebhook: WhatsAppHarness.offlineWebhook(school))
        try await app.test(.live) { client in
            func get(_ query: String) async throws -> (HTTPResponse.Status, String) {
                let response = try await client.execute(uri: WhatsAppWebhook.path + "?" + query, method: .get)
                return (response.status, String(buffer: response.body))
            }
            let right = try await get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=\(Payloads.verifyToken)")
            #expect(right.0 == .ok && right.1 == "1158201444")
            #expect(try await get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong-token").0 == .forbidden)
            #expect(try await get("hub.mode=subscribe&hub.challenge=1158201444").0 == .forbidden)
            #expect(try await get("hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=\(Payloads.verifyToken)").0 == .forbidden)
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let body: @Sendable (_ code: String) -> String
        /// nil: signed correctly; .some(nil): no header; .some(value): this header.
        var signature: String?? = nil
        let status: HTTPResponse.Status
        /// Outbox rows for the parent's number after this request, counted from before it.
        let newReplies: ClosedRange<Int>
        var check: @Sendable (Transaction) throws -> Bool = { _ in true }
        var testDescription: String { name }
    }

    static let parent = "31687654321"
    static func envelope(_ messages: String...) -> String { Payloads.envelope(messages: messages, from: parent) }
    static func media(_ id: String, _ type: String, _ fields: String) -> String { envelope(Payloads.message(id, from: parent, type: type, fields)) }
    static func lastReply(_ tx: Transaction) throws -> OutboundMessage? {
        try tx.outbox(channel: "whatsapp", address: parent, after: 0).last.flatMap { try? JSONDecoder().decode(OutboundMessage.self, from: Data($0.payload.utf8)) }
    }
    static func textOnly(_ tx: Transaction) throws -> Bool { try lastReply(tx)?.text.hasPrefix("Ik kan alleen tekst lezen") == true }

    static let cases: [Case] = [
        Case(name: "no signature is refused", body: { envelope(Payloads.text("wamid.A1", from: parent, $0)) }, signature: .some(nil),
             status: .unauthorized, newReplies: 0...0),
        Case(name: "a wrong signature is refused", body: { envelope(Payloads.text("wamid.A1", from: parent, $0)) },
             signature: "sha256=" + String(repeating: "0", count: 64), status: .unauthorized, newReplies: 0...0),
        Case(name: "a signature made with another secret is refused", body: { envelope(Payloads.text("wamid.A1", from: parent, $0)) },
             signature: .some(Payloads.signature("{}", secret: "another-app-secret")), status: .unauthorized, newReplies: 0...0),
        Case(name: "a signature that is not hex is refused", body: { envelope(Payloads.text("wamid.A1", from: parent, $0)) },
             signature: "sha256=zz", status: .unauthorized, newReplies: 0...0,
             check: { try $0.contact(channel: "whatsapp", address: parent) == nil }),
        Case(name: "malformed JSON is refused", body: { _ in #"{"object":"whatsapp_business_account","entry":[{"changes":"# },
             status: .badRequest, newReplies: 0...0),
        Case(name: "another product's webhook is refused", body: { _ in #"{"object":"page","entry":[]}"# }, status: .badRequest, newReplies: 0...0),
        Case(name: "a stranger without a code is told how to get one (nothing stored about them)",
             body: { _ in envelope(Payloads.text("wamid.S1", from: parent, "Hallo, ik wil een gesprek")) }, status: .ok, newReplies: 0...0,
             check: { try $0.contact(channel: "whatsapp", address: parent) == nil }),
        Case(name: "the wa.me link's pre-filled invite code binds the number and asks for a language",
             body: { envelope(Payloads.text("wamid.A1", from: parent, $0)) }, status: .ok, newReplies: 1...1,
             check: { try $0.contact(channel: "whatsapp", address: parent)?.lastInboundAt != nil && lastReply($0)?.choices.count ?? 0 > 3 }),
        Case(name: "the same wamid delivered again changes nothing",
             body: { envelope(Payloads.text("wamid.A1", from: parent, $0)) }, status: .ok, newReplies: 0...0),
        Case(name: "a chosen list row (list_reply) answers the question",
             body: { _ in envelope(Payloads.listReply("wamid.A2", from: parent, replyID: "o:nl", title: "Nederlands")) }, status: .ok, newReplies: 1...3,
             check: { try $0.contact(channel: "whatsapp", address: parent)?.language == "nl" }),
        Case(name: "a pressed reply button (button_reply) with a long id's stand-in #1 is answered like typing 1",
             body: { _ in envelope(Payloads.buttonReply("wamid.A3", from: parent, replyID: "#1", title: "Gesprek plannen")) }, status: .ok, newReplies: 1...2),
        Case(name: "an image gets 'I can only read text'", body: { _ in media("wamid.M1", "image", #""image":{"caption":"Rapport","mime_type":"image/jpeg","sha256":"HgK1tdWpYkJ2yNq3PQ6Tw","id":"1287305518923452"}"#) },
             status: .ok, newReplies: 1...1, check: textOnly),
        Case(name: "a voice note likewise", body: { _ in media("wamid.M2", "audio", #""audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"3nJ2ZC1f","id":"2195712314","voice":true}"#) },
             status: .ok, newReplies: 1...1, check: textOnly),
        Case(name: "a video likewise", body: { _ in media("wamid.M3", "video", #""video":{"mime_type":"video/mp4","sha256":"q3Xw","id":"88342233"}"#) },
             status: .ok, newReplies: 1...1, check: textOnly),
        Case(name: "a document likewise", body: { _ in media("wamid.M4", "document", #""document":{"filename":"ziekmelding.pdf","mime_type":"application/pdf","sha256":"Tk2z","id":"55012399"}"#) },
             status: .ok, newReplies: 1...1, check: textOnly),
        Case(name: "a sticker likewise", body: { _ in media("wamid.M5", "sticker", #""sticker":{"mime_type":"image/webp","sha256":"aa12","id":"77719","animated":false}"#) },
             status: .ok, newReplies: 1...1, check: textOnly),
        Case(name: "a location likewise", body: { _ in media("wamid.M6", "location", #""location":{"latitude":52.3731,"longitude":4.8922,"name":"Basisschool De Regenboog","address":"Dam 1, Amsterdam"}"#) },
             status: .ok, newReplies: 1...1, check: textOnly),
        Case(name: "a shared contact likewise", body: { _ in media("wamid.M7", "contacts", #""contacts":[{"name":{"formatted_name":"Oma Fatima","first_name":"Fatima"},"phones":[{"phone":"+31 6 1111 2222","type":"CELL","wa_id":"31611112222"}]}]"#) },
             status: .ok, newReplies: 1...1, check: textOnly),
        Case(name: "a reaction to a message needs no answer", body: { _ in media("wamid.M8", "reaction", #""reaction":{"message_id":"wamid.HBgLMzE2","emoji":"👍"}"#) },
             status: .ok, newReplies: 0...0),
        Case(name: "Arabic text with an emoji is read as text", body: { _ in envelope(Payloads.text("wamid.T1", from: parent, "مرحبا 👋🏽")) },
             status: .ok, newReplies: 1...2),
        Case(name: "a status for a message we never sent is ignored", body: { _ in
            Payloads.envelope(statuses: [Payloads.status("wamid.UNKNOWN", "delivered", to: parent)]) }, status: .ok, newReplies: 0...0),
        Case(name: "a message for another of the app's numbers is not ours", body: { _ in
            Payloads.envelope(messages: [Payloads.text("wamid.O1", from: parent, "help")], phoneNumberID: "999999999", from: parent) },
             status: .ok, newReplies: 0...0),
        // Last: the server stops reading and answers at once, and the connection is not used again.
        Case(name: "a huge body is refused before it is read", body: { _ in String(repeating: " ", count: WhatsAppWebhook.maximumBodySize + 1) + "{}" },
             status: .contentTooLarge, newReplies: 0...0),
    ]

    @Test func eachPayloadHasItsEffect() async throws {
        let school = try TestSchool()
        let code = InviteCode.display(try school.household().code)
        let app = try buildApplication(school.runtime, logger: WhatsAppHarness.logger, whatsappWebhook: WhatsAppHarness.offlineWebhook(school))
        try await app.test(.live) { client in
            for testCase in Self.cases {
                let before = try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: Self.parent, after: 0).count }
                let status = try await post(client, testCase.body(code), signature: testCase.signature)
                #expect(status == testCase.status, "\(testCase.name)")
                let (after, holds) = try school.runtime.database.readNow { tx in
                    (try tx.outbox(channel: "whatsapp", address: Self.parent, after: 0).count, try testCase.check(tx))
                }
                #expect(testCase.newReplies.contains(after - before), "\(testCase.name): \(after - before) new replies")
                #expect(holds, "\(testCase.name)")
            }
            // The stranger's message was recorded once (without text), so a second delivery is not answered again.
            let strangers = try school.runtime.database.writeNow { tx in try tx.recordInbound(channel: "whatsapp", platformMessageID: "wamid.S1", contactID: nil, text: nil, at: Date()) }
            #expect(!strangers)
        }
    }
}
