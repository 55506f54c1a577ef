import App
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SamenspraakCore
import SMS
import Storage
import Testing
import TestSupport

/// The Twilio webhooks over real HTTP on 127.0.0.1: signatures, malformed and huge bodies, and realistic payloads one
/// per row, each checked for what it must change in the database. Parameters follow Twilio's messaging webhook.
@Suite struct SMSWebhookTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let fields: @Sendable (_ code: String) -> [(String, String)]
        var path = TwilioWebhook.path
        /// nil: signed correctly; .some(nil): no header; .some(value): this header.
        var signature: (@Sendable ([(String, String)]) -> String?)? = nil
        /// The raw body instead of the fields' form encoding.
        var body: String? = nil
        let status: HTTPResponse.Status
        /// Outbox rows for the parent's number after this request, counted from before it.
        let newReplies: ClosedRange<Int>
        var check: @Sendable (Transaction) throws -> Bool = { _ in true }
        var testDescription: String { name }
    }

    static let parent = "+31687654321"
    static func text(_ sid: String, _ body: String, media: [String] = [], optOutType: String? = nil) -> [(String, String)] {
        TwilioPayloads.message(sid, from: parent, body: body, media: media, optOutType: optOutType)
    }
    static func contact(_ tx: Transaction) throws -> ContactRecord? { try tx.contact(channel: "sms", address: parent) }
    static func lastReply(_ tx: Transaction) throws -> OutboundMessage? {
        try tx.outbox(channel: "sms", address: parent, after: 0, limit: 1000).last.flatMap { try? JSONDecoder().decode(OutboundMessage.self, from: Data($0.payload.utf8)) }
    }
    static func sid(_ n: Int) -> String { "SM" + String(format: "%032x", 0x5000 + n) }

    static let cases: [Case] = [
        Case(name: "no signature is refused", fields: { text(sid(1), $0) }, signature: { _ in nil }, status: .unauthorized, newReplies: 0...0,
             check: { try contact($0) == nil }),
        Case(name: "a wrong signature is refused", fields: { text(sid(1), $0) }, signature: { _ in "RSOYDt4T1cUTdK1PDd93/VVr8B8=" }, status: .unauthorized,
             newReplies: 0...0),
        Case(name: "a signature made with another auth token is refused", fields: { text(sid(1), $0) },
             signature: { TwilioPayloads.signature($0, authToken: "0000000000000000000000000000000") }, status: .unauthorized, newReplies: 0...0),
        Case(name: "a signature over another address (http instead of https) is refused", fields: { text(sid(1), $0) },
             signature: { fields in TwilioSignature.compute(url: "http://ouders.example-school.nl/sms/twilio", parameters: fields.map { (name: $0.0, value: $0.1) },
                                                            authToken: FakeTwilio().authToken) }, status: .unauthorized, newReplies: 0...0),
        Case(name: "a body changed after signing is refused", fields: { text(sid(1), $0) },
             signature: { _ in TwilioPayloads.signature(text(sid(1), "STOP")) }, status: .unauthorized, newReplies: 0...0,
             check: { try contact($0) == nil }),
        Case(name: "a status callback signed for the message address is refused", fields: { _ in TwilioPayloads.status(sid(99), "delivered", to: parent) },
             path: TwilioWebhook.statusPath, signature: { TwilioPayloads.signature($0, path: TwilioWebhook.path) }, status: .unauthorized, newReplies: 0...0),
        Case(name: "a body that is not form-encoded is refused", fields: { _ in [] }, signature: { _ in "c2lnbmVk" }, body: "Body=%E2%82&From=%2B316",
             status: .badRequest, newReplies: 0...0),
        Case(name: "JSON instead of a form is refused", fields: { _ in [] }, signature: { _ in "c2lnbmVk" }, body: #"{"Body":"hallo"}"#,
             status: .badRequest, newReplies: 0...0),
        Case(name: "a message without From is refused", fields: { text(sid(2), $0).filter { $0.0 != "From" } }, status: .badRequest, newReplies: 0...0),
        Case(name: "another Twilio account's message is refused", fields: { TwilioPayloads.message(sid(3), from: parent, body: $0, account: "AC" + String(repeating: "9", count: 32)) },
             status: .badRequest, newReplies: 0...0, check: { try contact($0) == nil }),
        Case(name: "a stranger without a code is told how to get one (nothing stored about them)", fields: { _ in text(sid(4), "Hallo, ik wil een gesprek") },
             status: .ok, newReplies: 0...0, check: { try contact($0) == nil }),
        Case(name: "a stranger's STOP gets no answer of ours", fields: { _ in text(sid(5), "STOP") }, status: .ok, newReplies: 0...0,
             check: { try contact($0) == nil }),
        Case(name: "the invite code binds the number and asks for a language", fields: { text(sid(6), "Mijn code: " + $0) }, status: .ok, newReplies: 1...1,
             check: { try contact($0)?.lastInboundAt != nil && lastReply($0)?.choices.count ?? 0 > 3 }),
        Case(name: "the same MessageSid posted again changes nothing", fields: { text(sid(6), "Mijn code: " + $0) }, status: .ok, newReplies: 0...0),
        Case(name: "a typed number answers the numbered question", fields: { _ in text(sid(7), "1") }, status: .ok, newReplies: 1...3,
             check: { try contact($0)?.language != nil }),
        Case(name: "a photo (MMS) gets 'I can only read text'", fields: { _ in
            text(sid(8), "", media: ["https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/MM8/Media/ME1"]) },
             status: .ok, newReplies: 1...1, check: { try lastReply($0)?.text.hasPrefix("Ik kan alleen tekst lezen") == true }),
        Case(name: "HELP gets our help text", fields: { _ in text(sid(9), "help") }, status: .ok, newReplies: 1...3,
             check: { tx in try tx.outbox(channel: "sms", address: parent, after: 0, limit: 1000).contains { $0.payload.contains("Met Samenspraak plant u") } }),
        Case(name: "STOP is recorded without a reply (Twilio answers it)", fields: { _ in text(sid(10), "Stop") }, status: .ok, newReplies: 0...0,
             check: { try contact($0)?.stoppedAt != nil }),
        Case(name: "START likewise", fields: { _ in text(sid(11), "START") }, status: .ok, newReplies: 0...0, check: { try contact($0)?.stoppedAt == nil }),
        Case(name: "UNSUBSCRIBE is an opt-out word too", fields: { _ in text(sid(12), "unsubscribe") }, status: .ok, newReplies: 0...0,
             check: { try contact($0)?.stoppedAt != nil }),
        Case(name: "YES after an opt-out opts in again, silently", fields: { _ in text(sid(13), "yes") }, status: .ok, newReplies: 0...0,
             check: { try contact($0)?.stoppedAt == nil }),
        Case(name: "YES otherwise is an ordinary answer", fields: { _ in text(sid(14), "Yes") }, status: .ok, newReplies: 1...3),
        Case(name: "a keyword the school added to Advanced Opt-Out (OptOutType STOP)", fields: { _ in text(sid(15), "STOPPEN", optOutType: "STOP") },
             status: .ok, newReplies: 0...0, check: { try contact($0)?.stoppedAt != nil }),
        Case(name: "and its START", fields: { _ in text(sid(16), "AANMELDEN", optOutType: "START") }, status: .ok, newReplies: 0...0,
             check: { try contact($0)?.stoppedAt == nil }),
        Case(name: "Arabic text with an emoji is read as text", fields: { _ in text(sid(17), "مرحبا 👋🏽") }, status: .ok, newReplies: 1...2),
        Case(name: "a status for a message we never sent is ignored", fields: { _ in TwilioPayloads.status(sid(98), "delivered", to: parent) },
             path: TwilioWebhook.statusPath, status: .ok, newReplies: 0...0),
        Case(name: "a status callback without MessageStatus is refused", fields: { _ in TwilioPayloads.status(sid(98), "sent", to: parent)
            .filter { $0.0 != "MessageStatus" && $0.0 != "SmsStatus" } }, path: TwilioWebhook.statusPath, status: .badRequest, newReplies: 0...0),
        // Last: the server stops reading and answers at once, and the connection is not used again.
        Case(name: "a huge body is refused before it is read", fields: { _ in [] }, signature: { _ in "c2lnbmVk" },
             body: "Body=" + String(repeating: "a", count: TwilioWebhook.maximumBodySize + 1), status: .contentTooLarge, newReplies: 0...0),
    ]

    @Test func eachPayloadHasItsEffect() async throws {
        let school = try TestSchool()
        let code = InviteCode.display(try school.household().code)
        let app = try buildApplication(school.runtime, logger: SMSHarness.logger, smsWebhook: SMSHarness.offlineWebhook(school))
        try await app.test(.live) { client in
            for testCase in Self.cases {
                let before = try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: Self.parent, after: 0, limit: 1000).count }
                let fields = testCase.fields(code)
                let signature: String?? = testCase.signature.map { .some($0(fields)) } ?? .none
                let answer = try await post(client, fields, path: testCase.path, signature: signature, body: testCase.body)
                #expect(answer.status == testCase.status, "\(testCase.name)")
                if answer.status == .ok { #expect(answer.body == TwilioWebhook.emptyTwiML && answer.contentType == "text/xml", "\(testCase.name)") }
                let (after, holds) = try school.runtime.database.readNow { tx in
                    (try tx.outbox(channel: "sms", address: Self.parent, after: 0, limit: 1000).count, try testCase.check(tx))
                }
                #expect(testCase.newReplies.contains(after - before), "\(testCase.name): \(after - before) new replies")
                #expect(holds, "\(testCase.name)")
            }
            // The stranger's message was recorded once (without text), so a second delivery is not answered again.
            let strangers = try school.runtime.database.writeNow { tx in try tx.recordInbound(channel: "sms", platformMessageID: Self.sid(4), contactID: nil, text: nil, at: Date()) }
            #expect(!strangers)
        }
    }
}
