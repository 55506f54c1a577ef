import AsyncHTTPClient
@testable import ChannelKit
import Logging
@testable import Telegram
import Testing
import TestSupport

/// Daemons on one PostgreSQL schema send for one bot, so they share its overall limit (Telegram's 30 messages a
/// second): each paces itself to its part, and takes the whole again when the others are gone.
@Suite struct SharedPaceTests {
    @Test(.enabled(if: TestDatabase.isPostgres, "daemons share a bot only on a shared database (PostgreSQL)"), .timeLimit(.minutes(1)))
    func daemonsSharingABotEachTakeTheirPartOfItsLimit() async throws {
        let first = try TestSchool()
        var logger = Logger(label: "shared-pace")
        logger.logLevel = .critical
        let api = BotAPIClient(http: HTTPClient.shared, baseURL: "http://127.0.0.1:9", token: "0:unused")   // nothing is sent
        let sender = TelegramSender(api: api, service: first.runtime.service, limits: .init(perSecond: 30), logger: logger).sender
        await sender.shareThePace()
        #expect(sender.pace.limit == 30, "alone: the whole limit")

        let second = try first.restarted()   // another daemon on the same schema
        await sender.shareThePace()
        #expect(sender.pace.limit == 15)
        let third = try first.restarted()
        await sender.shareThePace()
        #expect(sender.pace.limit == 10)

        try third.runtime.database.close()
        try second.runtime.database.close()
        // The server drops a closed connection's locks a moment after it is gone.
        for _ in 0..<50 where sender.pace.limit != 30 {
            try await Task.sleep(for: .milliseconds(100))
            await sender.shareThePace()
        }
        #expect(sender.pace.limit == 30, "the others gone: the whole limit again")
    }
}
