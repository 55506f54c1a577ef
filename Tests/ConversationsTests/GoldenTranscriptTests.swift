import Foundation
import Storage
import Testing
import TestSupport

/// Whole conversations compared line by line with the files in `Transcripts/`, so any change in wording,
/// order of options or date format is seen in review. Regenerate with `SAMENSPRAAK_RECORD=1 swift test`.
@Suite struct GoldenTranscriptTests {
    @Test func bookingMovingAndCancellingInDutch() async throws {
        let school = try TestSchool()
        let chat = Conversation(school, inviteCode: try school.household(children: 1).code)
        try await chat.start(language: "nl")
        try await chat.press("Nederlands")
        try await chat.press("Gesprek plannen")
        try await chat.say("1")          // the child
        try await chat.say("1")          // the first day offered
        try await chat.say("3")          // its third time
        try await chat.say("verzetten")
        try await chat.say("1")          // the talk
        try await chat.say("2")          // the second day
        try await chat.say("1")          // its first time
        try await chat.say("afzeggen")
        try await chat.say("1")
        try await chat.say("ja, afzeggen")
        try compare(chat.transcript, with: "booking-nl")
    }

    @Test func bookingMovingAndCancellingInArabic() async throws {
        let school = try TestSchool()
        let chat = Conversation(school, inviteCode: try school.household(children: 1).code)
        try await chat.start(language: "ar")
        try await chat.press("العربية")
        try await chat.say("حجز")        // "book", typed
        try await chat.say("1")
        try await chat.say("1")
        try await chat.say("3")
        try await chat.say("تغيير الموعد")  // "move"
        try await chat.say("1")
        try await chat.say("2")
        try await chat.say("1")
        try await chat.say("إلغاء")       // "cancel"
        try await chat.say("1")
        try await chat.say("1")          // "yes, cancel" by its number
        try compare(chat.transcript, with: "booking-ar")
    }

    @Test func bookingMovingAndCancellingInPersianRightToLeft() async throws {
        let school = try TestSchool()
        let chat = Conversation(school, inviteCode: try school.household(children: 1).code)
        try await chat.start(language: "fa-IR")  // as a Persian phone's browser or Telegram says it
        try await chat.press("فارسی")
        try await chat.say("رزرو")        // "book", typed
        try await chat.say("۱")          // the child, in Persian digits
        try await chat.say("۱")          // the first day offered
        try await chat.say("۳")          // its third time
        try await chat.say("تغییر وقت")   // "move"
        try await chat.say("1")
        try await chat.say("۲")
        try await chat.say("۱")
        try await chat.say("لغو؟")        // "cancel?"
        try await chat.say("۱")
        try await chat.say("بله، لغو شود") // "yes, cancel" by its label
        #expect(chat.transcript.filter { !$0.hasPrefix(">") && !$0.hasPrefix("  ") }.allSatisfy { $0.hasPrefix("[rtl] ") })
        try compare(chat.transcript, with: "booking-fa")
    }

    func compare(_ transcript: [String], with name: String) throws { try GoldenTranscripts.compare(transcript, with: name) }
}

enum GoldenTranscripts {
    /// Compares with the stored transcript; calendar links carry a random token, masked here.
    static func compare(_ transcript: [String], with name: String) throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts/\(name).txt")
        let actual = transcript.map { $0.replacing(/\/ics\/[0-9a-f]{32}\.ics/, with: "/ics/<token>.ics") }.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["SAMENSPRAAK_RECORD"] == "1" {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        let (expectedLines, actualLines) = (expected.split(separator: "\n", omittingEmptySubsequences: false), actual.split(separator: "\n", omittingEmptySubsequences: false))
        for (index, (want, got)) in zip(expectedLines, actualLines).enumerated() where want != got {
            Issue.record("\(name).txt:\(index + 1): expected «\(want)», got «\(got)»")
            return
        }
        #expect(expectedLines.count == actualLines.count, "\(name).txt: \(expectedLines.count) lines expected, \(actualLines.count) produced")
    }
}
