import App
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SamenspraakCore
import Testing
import TestSupport

/// Two daemons on one PostgreSQL schema behind a load balancer that sends a parent's message to one and the
/// browser's long poll to the other: the poll is answered as soon as the other daemon committed the reply.
@Suite(.enabled(if: TestDatabase.isPostgres, "two daemons share a database only on PostgreSQL"))
struct SharedDatabaseWebChatTests {
    @Test func aLongPollOnOneDaemonIsAnsweredWhenTheOtherCommitsTheReply() async throws {
        let first = try TestSchool()
        let second = try first.restarted()   // another daemon on the same schema
        let code = InviteCode.display(try first.household().code)
        let logger = { var logger = Logger(label: "shared-webchat"); logger.logLevel = .critical; return logger }()
        let pollTimeout = Duration.seconds(20)
        let hearing = Task { await second.runtime.service.hearOtherDaemons() }
        defer { hearing.cancel() }
        try await buildApplication(first.runtime, logger: logger, pollTimeout: pollTimeout).test(.live) { one in
            try await buildApplication(second.runtime, logger: logger, pollTimeout: pollTimeout).test(.live) { other in
                // The page opens on the first daemon; its long poll for what comes next goes to the second.
                let browser = WebChatBrowser(client: one, code: code)
                try await browser.send(["start": true, "language": "nl"])
                let seen = browser.after
                let waiting = Task {
                    let started = ContinuousClock.now
                    let response = try await other.execute(uri: "/api/chat/\(code)/messages?client=\(browser.clientID)&after=\(seen)", method: .get)
                    return (ContinuousClock.now - started, String(buffer: response.body))
                }
                try await Task.sleep(for: .milliseconds(500))   // the poll is waiting
                try await browser.press("Nederlands")            // handled by the first daemon
                let (took, body) = try await waiting.value
                #expect(body.contains("Gesprek plannen"), "the second daemon's poll got the first one's reply")
                #expect(took < pollTimeout / 2, "answered when committed, not at the poll's timeout (\(took))")
            }
        }
    }
}
