import ChannelKit
import Foundation
@testable import Matrix
import SamenspraakCore
import Testing

/// Reading sync answers, replies' quotes, rendering and transaction ids, without a server.
@Suite struct MatrixUnitTests {
    static let me = "@samenspraak:school.example"

    static func batch(_ json: String) throws -> SyncBatch {
        SyncBatch(try JSONDecoder().decode(SyncResponse.self, from: Data(json.utf8)), me: me)
    }

    @Test func aSyncAnswerIsReadLeniently() throws {
        let batch = try Self.batch(#"""
            {"next_batch":"s9","rooms":{
              "join":{"!a:x":{"summary":{"m.joined_member_count":2},"timeline":{"events":[
                {"type":"m.room.message","event_id":"$1","sender":"@ouder:x","content":{"msgtype":"m.text","body":"> <@b:x> vraag\n> meer\n\n2"}},
                {"type":"m.room.message","event_id":"$2","sender":"@samenspraak:school.example","content":{"msgtype":"m.text","body":"eigen"}},
                {"type":"m.room.message","event_id":"$3","sender":"@ouder:x","content":{}},
                {"type":"m.room.member","event_id":"$4","sender":"@ouder:x","state_key":"@ouder:x","content":{"membership":"join"}},
                {"type":"m.room.message","sender":"@ouder:x","content":{"msgtype":"m.text","body":"zonder id"}},
                "not an event",
                {"type":"m.room.message","event_id":"$5","sender":"@ouder:x","content":{"msgtype":"m.image","body":"foto.jpg","url":"mxc://x/y"}}]}},
                "!b:x":{"summary":{"m.joined_member_count":5},"timeline":{"events":[]}}},
              "invite":{"!c:y":{"invite_state":{"events":[{"type":"m.room.member","state_key":"@samenspraak:school.example","sender":"@ouder:y.example",
                "content":{"membership":"invite","is_direct":true}}]}},
                "!d:y":{"invite_state":{"events":[{"type":"m.room.member","state_key":"@someone:else","sender":"@ouder:y","content":{"membership":"invite"}}]}}}}}
            """#)
        #expect(batch.nextBatch == "s9")
        #expect(batch.messages.map(\.eventID) == ["$1", "$5"])
        #expect(batch.messages.first?.typedText == "2")
        #expect(batch.messages.last?.msgtype == "m.image")
        #expect(batch.unreadable == 2)  // the event without an id and the string
        #expect(batch.crowdedRooms == ["!b:x"])
        #expect(batch.invites == [RoomInvite(room: "!c:y", inviter: "@ouder:y.example", isDirect: true)])
        #expect(batch.invites.first?.inviterServer == "y.example")
        #expect(throws: (any Error).self) { try Self.batch(#"{"rooms":{}}"#) }
        #expect(try Self.batch(#"{"next_batch":"s1"}"#).messages.isEmpty)
    }

    @Test func choicesAreNumberedWithAnHTMLList() {
        let message = OutboundMessage(text: "Welke dag?\nKies <er> één & klaar", choices: [.init(id: "a", label: "Dinsdag"), .init(id: "b", label: "Woensdag")],
                                      language: "nl")
        let contents = MatrixRendering.contents(for: message)
        #expect(contents.count == 1)
        #expect(contents[0].body == "Welke dag?\nKies <er> één & klaar\n\n1. Dinsdag\n2. Woensdag")
        #expect(contents[0].format == "org.matrix.custom.html")
        #expect(contents[0].formattedBody == "<p>Welke dag?<br>Kies &lt;er&gt; één &amp; klaar</p><ol><li>Dinsdag</li><li>Woensdag</li></ol>")
        let arabic = OutboundMessage(text: "أي يوم؟", choices: [.init(id: "a", label: "الثلاثاء")], language: "ar", rightToLeft: true)
        #expect(MatrixRendering.contents(for: arabic)[0].formattedBody?.hasPrefix("<div dir=\"rtl\">") == true)
        let long = OutboundMessage(text: String(repeating: "woord ", count: 5000), choices: [.init(id: "a", label: "Ja")], language: "nl")
        let parts = MatrixRendering.contents(for: long)
        #expect(parts.count > 1 && parts.allSatisfy { $0.body.count <= MatrixRendering.maximumBody && $0.formattedBody == nil })
        #expect(parts.last?.body.hasSuffix("1. Ja") == true)
        #expect(MatrixRendering.transactionID(outboxID: 42, part: 0) == "samenspraak-42")
        #expect(MatrixRendering.transactionID(outboxID: 42, part: 2) == "samenspraak-42-2")
    }

    @Test func errorsAreSortedWithoutNames() {
        #expect(MatrixError.rateLimited(retryAfter: .milliseconds(1500), "send: M_LIMIT_EXCEEDED (429)").delivery
                == .rateLimited(retryAfter: .milliseconds(1500), scope: .channel, reason: "rate limited for 1.5 seconds: send: M_LIMIT_EXCEEDED (429)"))
        #expect(MatrixError.forbidden("send: M_FORBIDDEN (403)").delivery.failure == .blocked)
        #expect(MatrixError.rejected(400, "send: M_BAD_JSON (400)").delivery.failure == .rejected)
        #expect(MatrixError.unauthorised("send: M_UNKNOWN_TOKEN (401)").delivery.failure == .unavailable)
        #expect(MatrixClient.encode("!kamer:school.nl") == "%21kamer%3Aschool.nl")
        #expect(MatrixInbound.digest("$event1") == MatrixInbound.digest("$event1") && MatrixInbound.digest("$event1") != MatrixInbound.digest("$event2"))
    }
}
