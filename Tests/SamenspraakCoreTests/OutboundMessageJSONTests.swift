import Foundation
import SamenspraakCore
import Testing

/// The outbox stores each message as `OutboundMessage.json`, written by hand; every channel reads it back with
/// JSONDecoder. Whatever a text holds, it must come back unchanged.
struct OutboundMessageJSONTests {
    @Test(arguments: [
        OutboundMessage(text: "Kies een dag", choices: [Choice(id: "d:2026-09-08", label: "dinsdag 8 september")], language: "nl"),
        OutboundMessage(text: "", language: "en"),
        OutboundMessage(text: "Zeg \"ja\" of \\nee\\\nTab\there\r\u{08}\u{0C}\u{01}\u{1F} / </script>", language: "nl"),
        OutboundMessage(text: "مرحبا، اختر يوماً 👋🏽", choices: [Choice(id: "c:\"x\"", label: "الثلاثاء ٨ سبتمبر"), Choice(id: "🙂", label: "")],
                        language: "ar", rightToLeft: true),
    ])
    func readsBackAsTheSameMessage(_ message: OutboundMessage) throws {
        #expect(try JSONDecoder().decode(OutboundMessage.self, from: Data(message.json.utf8)) == message)
    }
}
