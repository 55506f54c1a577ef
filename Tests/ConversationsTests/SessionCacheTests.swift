@testable import Conversations
import Dialogue
import Foundation
import Testing

/// A step starts from the session this daemon last stored only when the stored text is that very text; a session
/// changed anywhere else (another daemon, a rolled-back step, staff) is read from what is stored.
@Suite struct SessionCacheTests {
    @Test func usesTheKeptSessionOnlyForTheSameText() throws {
        let cache = SessionCache()
        var mine = Session(language: "nl")
        mine.step = "which_day"
        let stored = cache.store(mine, of: 1)
        #expect(cache.session(of: 1, stored: stored) == mine)

        var elsewhere = Session(language: "ar")
        elsewhere.step = "menu"
        let changed = String(decoding: try JSONEncoder().encode(elsewhere), as: UTF8.self)
        #expect(cache.session(of: 1, stored: changed) == elsewhere)
        #expect(cache.session(of: 2, stored: stored) == mine, "another contact with the same text reads it from the text")
        #expect(cache.session(of: 1, stored: "not json") == nil)
    }

    @Test func startsOverWhenFullAndStillReadsEverySession() {
        let cache = SessionCache(capacity: 2)
        let sessions = (0..<5).map { Session(language: "l\($0)") }
        let stored = sessions.enumerated().map { cache.store($1, of: Int64($0)) }
        for (index, text) in stored.enumerated() { #expect(cache.session(of: Int64(index), stored: text) == sessions[index]) }
    }
}
