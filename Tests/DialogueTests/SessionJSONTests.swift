@testable import Dialogue
import Foundation
import SamenspraakCore
import Testing

/// The session JSON written by hand must read back through `JSONDecoder` as the same session, whatever it holds.
@Suite struct SessionJSONTests {
    static let awkward = ["", "Sara", "Groep 3", "\"quoted\"", "back\\slash", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1F}\u{7F}",
                          "مرحبا، كيف حالك؟", "Ayşe 👩‍👧‍👦 🇳🇱", "</script>", "a/b", "\u{2028}\u{2029}", "e\u{301}"]

    @Test func readsBackAsTheSameSession() throws {
        var generator = SystemRandomNumberGenerator()
        func text() -> String { Self.awkward.randomElement(using: &generator)! + Self.awkward.randomElement(using: &generator)! }
        for round in 0..<500 {
            var session = Session(language: round % 3 == 0 ? nil : text())
            session.flow = round % 4 == 0 ? nil : text()
            session.step = round % 5 == 0 ? nil : text()
            for index in 0..<(round % 7) {
                let moment = Date(timeIntervalSinceReferenceDate: Double.random(in: -1e9...1e10, using: &generator))
                let values: [MessageValue] = [.text(text()), .number(Int.random(in: Int.min...Int.max, using: &generator)), .day(moment),
                                              .time(Date(timeIntervalSince1970: 1_795_424_400 + Double(index) * 1_500)), .month(index + 1), .message(text())]
                session.vars[text() + "\(index)"] = values[(round + index) % values.count]
            }
            if round % 2 == 0 {
                session.waiting = .init(choices: (0..<(round % 13)).map { .init(id: text(), label: text(), isOption: $0 % 2 == 0) },
                                        acceptsText: round % 3 == 0)
            }
            let read = try JSONDecoder().decode(Session.self, from: Data(session.json.utf8))
            #expect(read == session, "\(session.json)")
        }
    }

    @Test func hasTheShapeCodableGivesIt() throws {
        var session = Session(language: "nl")
        session.vars["child"] = .text("Sara")
        session.waiting = .init(choices: [.init(id: "d1", label: "dinsdag", isOption: true)], acceptsText: false)
        let written = try JSONSerialization.jsonObject(with: Data(session.json.utf8)) as? NSDictionary
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(session)) as? NSDictionary
        #expect(written == encoded)
    }
}
