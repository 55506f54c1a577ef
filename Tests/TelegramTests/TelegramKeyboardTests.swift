import SamenspraakCore
@testable import Telegram
import Testing

@Suite struct TelegramKeyboardTests {
    @Test func longTextsAreCutAtLineBreaksWithinTelegramsLimit() {
        let line = String(repeating: "ب", count: 99) + "\n"   // Arabic: 1 UTF-16 unit per letter
        let text = String(repeating: line, count: 100)          // 10,000 units
        let parts = TelegramKeyboard.parts(of: text)
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { $0.utf16.count <= 4096 })
        #expect(parts.joined(separator: "\n") == text, "nothing lost: each cut is at a line break")
        let emoji = String(repeating: "👍", count: 3000)         // 2 UTF-16 units each, no spaces
        #expect(TelegramKeyboard.parts(of: emoji).allSatisfy { $0.utf16.count <= 4096 })
        #expect(TelegramKeyboard.parts(of: emoji).joined() == emoji)
        #expect(TelegramKeyboard.parts(of: "kort") == ["kort"])
    }

    @Test func callbackDataFitsSixtyFourBytes() {
        let long = Choice(id: "o:" + String(repeating: "é", count: 40), label: "Lange naam")
        #expect(TelegramKeyboard.callbackData(for: long, at: 2) == "#3")
        #expect(TelegramKeyboard.content(forCallbackData: "#3") == .text("3"))
        #expect(TelegramKeyboard.callbackData(for: Choice(id: "o:2026-11-30", label: "maandag"), at: 0) == "o:2026-11-30")
        #expect(TelegramKeyboard.content(forCallbackData: "o:2026-11-30") == .choice("o:2026-11-30"))
    }
}
