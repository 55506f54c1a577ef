import AsyncHTTPClient
import ChannelKit
import Foundation
import Logging
import Matrix
import SamenspraakCore
import Storage
import Testing
import TestSupport

enum MatrixHarness {
    static let limits = MatrixSender.Limits(perChatInterval: .milliseconds(5), perSecond: 1000, longestBackoff: .seconds(1))
    static let parentServer = "parents.example"

    static var quietLogger: Logger {
        var logger = Logger(label: "matrix-test")
        logger.logLevel = .critical
        return logger
    }

    static func client(port: Int, userID: String = FakeHomeserver.bot, credentials: MatrixCredentials = .password(FakeHomeserver.password)) -> MatrixClient {
        MatrixClient(http: HTTPClient.shared, homeserver: "http://127.0.0.1:\(port)", userID: userID, credentials: credentials)
    }
}

/// The bot's loops against the fake homeserver: the sync loop and the sender, each running until `stop`.
struct MatrixBot: Sendable {
    let poller: MatrixPoller
    let sender: MatrixSender

    /// With a pickle key the bot is an end-to-end encryption device.
    init(school: TestSchool, port: Int, allowedServers: [String]? = nil, userID: String = FakeHomeserver.bot,
         credentials: MatrixCredentials = .password(FakeHomeserver.password), pickleKey: String? = nil, logger: Logger = MatrixHarness.quietLogger) {
        let api = MatrixHarness.client(port: port, userID: userID, credentials: credentials)
        let crypto = pickleKey.map { MatrixCrypto(api: api, database: school.runtime.database, pickleSecret: $0, logger: logger) }
        let inbound = MatrixInbound(service: school.runtime.service, api: api, allowedServers: allowedServers, crypto: crypto, logger: logger)
        poller = MatrixPoller(api: api, inbound: inbound, logger: logger, pollTimeout: .milliseconds(300), longestBackoff: .milliseconds(200))
        sender = MatrixSender(api: api, service: school.runtime.service, limits: MatrixHarness.limits, crypto: crypto, logger: logger)
    }

    /// Runs both loops while `body` runs.
    func running<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let loops = Task { [poller, sender] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await poller.run() }
                group.addTask { await sender.run() }
            }
        }
        defer { loops.cancel() }
        let result = try await body()
        loops.cancel()
        await loops.value
        return result
    }
}

/// Runs the fake homeserver and the bot for the duration of `body`, which gets a parent in a direct room.
func withMatrix(logger: Logger = MatrixHarness.quietLogger,
                _ body: @escaping @Sendable (TestSchool, FakeHomeserver, MatrixParent) async throws -> Void) async throws {
    let school = try TestSchool()
    let fake = FakeHomeserver()
    try await fake.serving { port in
        try await MatrixBot(school: school, port: port, logger: logger).running {
            try await body(school, fake, MatrixParent(fake: fake, user: "@ouder:\(MatrixHarness.parentServer)", room: "!kamerAbCdEf:\(MatrixHarness.parentServer)"))
        }
    }
}

/// A parent's Matrix client: invites the bot into a direct room, writes there and reads what the bot wrote.
final class MatrixParent: Sendable {
    let fake: FakeHomeserver
    let user: String
    let room: String
    private let position = ReadPosition()

    init(fake: FakeHomeserver, user: String, room: String) {
        self.fake = fake
        self.user = user
        self.room = room
    }

    /// Invites the bot and waits until it joined.
    func inviteBot(direct: Bool = true) async throws {
        fake.invite(room: room, from: user, direct: direct)
        try await waitUntil(timeout: .seconds(20)) { fake.joins.contains(room) }
    }

    @discardableResult
    func say(_ text: String, msgtype: String = "m.text", eventID: String? = nil) -> String {
        fake.say(text, in: room, from: user, msgtype: msgtype, eventID: eventID)
    }

    /// The first message of the bot in this room, after those already read, that matches.
    func waitForMessage(timeout: Duration = .seconds(20), _ matches: (FakeHomeserver.Sent) -> Bool) async throws -> FakeHomeserver.Sent {
        if let message = try await position.next(in: { fake.sent.filter { $0.room == room } }, timeout: timeout, matching: matches) { return message }
        throw MatrixTestError.noMessage(fake.sent.filter { $0.room == room }.map(\.body))
    }

    /// The number a message gives `label` in its numbered choices ("2. Dinsdag …" → "2").
    func number(of label: String, in message: FakeHomeserver.Sent) throws -> String {
        if let number = numberedChoice(label, in: message.body) { return number }
        throw MatrixTestError.noChoice(label, message.body)
    }

    static func hasChoices(_ message: FakeHomeserver.Sent) -> Bool { message.body.contains("\n1. ") }
}

enum MatrixTestError: Error { case noMessage([String]), noChoice(String, String) }
