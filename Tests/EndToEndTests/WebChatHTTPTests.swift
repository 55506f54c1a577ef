import App
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SamenspraakCore
import Testing
import TestSupport

/// The daemon over real HTTP on 127.0.0.1 (an ephemeral port), as the web chat page uses it.
@Suite struct WebChatHTTPTests {
    @Test func aParentBooksThroughTheWebChatAndDownloadsTheCalendarFile() async throws {
        let school = try TestSchool()
        let code = InviteCode.display(try school.household().code)
        try await withLiveServer(school) { client in
            let page = try await client.execute(uri: "/chat/\(code)", method: .get)
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains("<html"))

            let browser = WebChatBrowser(client: client, code: code)
            try await browser.send(["start": true, "language": "nl"])
            try await browser.press("Nederlands")
            try await browser.press("Gesprek plannen")
            try await browser.pressFirst()   // the child
            try await browser.pressFirst()   // the first day offered
            try await browser.pressFirst()   // its first time
            let confirmation = try #require(browser.messages.last { ($0["text"] as? String)?.hasPrefix("Gepland!") == true }?["text"] as? String)

            let icsPath = try #require(confirmation.firstMatch(of: /\/ics\/[0-9a-f]{32}\.ics/)).output
            let calendar = try await client.execute(uri: String(icsPath), method: .get)
            #expect(calendar.status == .ok)
            #expect(calendar.headers[.contentType] == "text/calendar; charset=utf-8")
            let ics = String(buffer: calendar.body)
            #expect(ics.hasPrefix("BEGIN:VCALENDAR\r\n"))
            #expect(ics.contains("DTSTART;TZID=Europe/Amsterdam:"))
            #expect(ics.contains("BEGIN:VTIMEZONE"))

            // Cancelling makes the calendar link stop working, so an old file cannot mislead.
            try await browser.send(["text": "afzeggen"])
            try await browser.send(["text": "1"])
            try await browser.press("Ja, afzeggen")
            #expect(try await client.execute(uri: String(icsPath), method: .get).status == .notFound)
        }
    }

    @Test func aTeacherOpensTheStaffInviteInTheWebChat() async throws {
        let school = try TestSchool()
        let invite = try #require(try school.runtime.staffInvites().first)
        try await withLiveServer(school) { client in
            let browser = WebChatBrowser(client: client, code: invite.code)
            try await browser.send(["start": true, "language": "en"])
            #expect((browser.messages.first?["text"] as? String)?.hasPrefix("Welkom, \(invite.teacher.name)!") == true)
            try await browser.press("Vandaag")
            #expect(browser.messages.contains { ($0["text"] as? String) == "U heeft vandaag geen startgesprekken." })
        }
    }

    @Test func theSameMessageSentTwiceIsHandledOnce() async throws {
        let school = try TestSchool()
        let code = InviteCode.display(try school.household().code)
        try await withLiveServer(school) { client in
            let browser = WebChatBrowser(client: client, code: code)
            try await browser.send(["start": true, "language": "nl"])
            try await browser.press("Nederlands")
            let before = browser.messages.count
            // A browser retrying after a lost answer sends the same id again.
            try await browser.send(["text": "blabla"], id: "retry-0001")
            let afterFirst = browser.messages.count
            try await browser.send(["text": "blabla"], id: "retry-0001")
            #expect(afterFirst > before)
            #expect(browser.messages.count == afterFirst)
        }
    }

    @Test func badRequestsGetAReasonAndChangeNothing() async throws {
        let school = try TestSchool()
        let code = InviteCode.display(try school.household().code)
        try await withLiveServer(school) { client in
            func post(_ body: String) async throws -> (HTTPResponse.Status, String) {
                let response = try await client.execute(uri: "/api/chat/\(code)/messages", method: .post,
                                                        headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                return (response.status, String(buffer: response.body))
            }
            let garbage = try await post("{not json")
            #expect(garbage.0 == .badRequest && garbage.1.contains("not valid JSON"))
            let badClient = try await post(#"{"client":"x","id":"abcdefgh","text":"hoi"}"#)
            #expect(badClient.0 == .badRequest && badClient.1.contains("'client' and 'id'"))
            let empty = try await post(#"{"client":"abcdefgh","id":"abcdefgh"}"#)
            #expect(empty.0 == .badRequest && empty.1.contains("'text', 'choice' or 'start'"))
            let huge = try await post(#"{"client":"abcdefgh","id":"abcdefgh","text":""# + String(repeating: "x", count: 20_000) + #""}"#)
            #expect(huge.0 == .contentTooLarge)
            let poll = try await client.execute(uri: "/api/chat/\(code)/messages?client=!!", method: .get)
            #expect(poll.status == .badRequest)
            #expect(try school.runtime.database.readNow { try $0.outboxCount() } == 0)
        }
    }

    @Test func guessingInviteCodesIsStoppedAfterTenTries() async throws {
        let school = try TestSchool()
        let realCode = InviteCode.display(try school.household().code)
        try await withLiveServer(school) { client in
            for attempt in 0..<10 {
                let guess = try await client.execute(uri: "/api/chat/AAAA-AAAA-AAA\(attempt % 2 == 0 ? "B" : "C")/messages", method: .post,
                                                     body: ByteBuffer(string: #"{"client":"guesser-1","id":"guess-\#(attempt)0000","start":true}"#))
                #expect(guess.status == .notFound)
                #expect(String(buffer: guess.body).contains("invite link is not valid"))
            }
            // Now even the right code is refused for this address, until the window has passed.
            let blocked = try await client.execute(uri: "/chat/\(realCode)", method: .get)
            #expect(blocked.status == .ok, "the page itself is static")
            let send = try await client.execute(uri: "/api/chat/\(realCode)/messages", method: .post,
                                                body: ByteBuffer(string: #"{"client":"guesser-1","id":"guess-final0","start":true}"#))
            #expect(send.status == .tooManyRequests)
            #expect(String(buffer: send.body).contains("wait ten minutes"))
        }
    }

    @Test func aReceptionHasItsCalendarFile() async throws {
        let school = try TestSchool()
        try await school.runtime.service.planSchoolJobs()
        let reception = try #require(try school.runtime.database.readNow { try $0.receptions() }.first)
        try await withLiveServer(school) { client in
            let calendar = try await client.execute(uri: "/ics/\(reception.icsToken).ics", method: .get)
            #expect(calendar.status == .ok)
            #expect(String(buffer: calendar.body).contains("SUMMARY:Nieuwjaarsreceptie"))
        }
    }

    @Test func healthAndUnknownFiles() async throws {
        let school = try TestSchool()
        try await withLiveServer(school) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/ics/0123.ics", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/ics/\(String(repeating: "a", count: 32)).ics", method: .get).status == .notFound)
            let css = try await client.execute(uri: "/static/chat.css", method: .get)
            #expect(css.status == .ok)
            #expect(try await client.execute(uri: "/static/../Package.swift", method: .get).status == .notFound)
        }
    }
}

/// What the chat page does: send a message, then poll for the replies after the last one seen.
final class WebChatBrowser: @unchecked Sendable {
    typealias Exchange = @Sendable (_ uri: String, _ method: HTTPRequest.Method, _ headers: HTTPFields, _ body: ByteBuffer?) async throws
        -> (status: HTTPResponse.Status, body: ByteBuffer)
    let exchange: Exchange
    let code: String
    let clientID = "browser-\(UUID().uuidString.prefix(8))"
    var after: Int64 = 0
    var sent = 0
    private(set) var messages: [[String: Any]] = []

    init(client: any TestClientProtocol, code: String) {
        self.exchange = { uri, method, headers, body in
            let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
            return (response.status, response.body)
        }
        self.code = code
    }

    /// A browser whose requests go through `exchange` (a school board's test sends each school's host name).
    init(exchange: @escaping Exchange, code: String) {
        self.exchange = exchange
        self.code = code
    }

    func send(_ fields: [String: Any], id: String? = nil) async throws {
        sent += 1
        var body = fields
        body["client"] = clientID
        body["id"] = id ?? "message-\(sent)-\(UUID().uuidString.prefix(8))"
        let response = try await exchange("/api/chat/\(code)/messages", .post, [.contentType: "application/json"],
                                          ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        #expect(response.status == .accepted, "\(String(buffer: response.body))")
        try await poll()
    }

    func poll() async throws {
        let response = try await exchange("/api/chat/\(code)/messages?client=\(clientID)&after=\(after)", .get, [:], nil)
        #expect(response.status == .ok)
        let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        let new = object?["messages"] as? [[String: Any]] ?? []
        messages += new
        if let last = new.last?["seq"] as? Int { after = Int64(last) }
    }

    var lastChoices: [[String: Any]] { messages.last { !(($0["choices"] as? [Any])?.isEmpty ?? true) }?["choices"] as? [[String: Any]] ?? [] }

    func press(_ label: String) async throws {
        let choice = try #require(lastChoices.first { $0["label"] as? String == label }, "no button \(label) in \(lastChoices)")
        try await send(["choice": try #require(choice["id"] as? String)])
    }

    func pressFirst() async throws {
        let choice = try #require(lastChoices.first, "no buttons after \(messages.last ?? [:])")
        try await send(["choice": try #require(choice["id"] as? String)])
    }
}
