import Foundation
import Storage
import Testing
import TestSupport

/// The real daemon as a child process, long-polling a fake Bot API, killed with SIGKILL in the middle of a burst of
/// conversations and started again: every parent ends up with a talk, no message is delivered twice, and each
/// booking is confirmed exactly once (or, if the kill fell between sending and recording, the message is listed
/// for staff as "may not have arrived" and never sent again).
@Suite(.serialized) struct CrashTests {
    static let executable = Repository.root.appendingPathComponent(".build/debug/samenspraak")

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.executable.path), "needs the built samenspraak binary"),
          .timeLimit(.minutes(2)))
    func aKilledDaemonLosesNothingAndSendsNothingTwice() async throws {
        let data = TemporaryDirectory()
        let parents = 16
        try run(["demo", "--no-serve", "--households", "\(parents)", "--data", data.url.path]).waitUntilExit()
        let codes = try invites(data)
        try #require(codes.count >= parents)

        let fake = FakeBotAPI()
        try await fake.serving { port in
            let serve = ["serve", "--data", data.url.path, "--port", "0", "--telegram-api-url", "http://127.0.0.1:\(port)",
                         "--telegram-chat-interval", "0.01", "--telegram-per-second", "1000"]
            var daemon = try run(serve, token: fake.token)

            // Sixteen parents book at once; the daemon is killed once a third of the expected messages went out.
            let conversations = Task {
                try await withThrowingTaskGroup(of: Void.self) { parentsGroup in
                    for (index, code) in codes.prefix(parents).enumerated() {
                        parentsGroup.addTask { try await TelegramParent(fake: fake, chatID: 8_000_000 + Int64(index)).bookPersistently(code: code) }
                    }
                    try await parentsGroup.waitForAll()
                }
            }
            while fake.sent.count < parents * 7 / 3 { try await Task.sleep(for: .milliseconds(5)) }
            kill(daemon.processIdentifier, SIGKILL)
            daemon.waitUntilExit()
            #expect(daemon.terminationReason == .uncaughtSignal)
            let sentBeforeKill = fake.sent.count
            daemon = try run(serve, token: fake.token)
            try await conversations.value
            #expect(fake.sent.count > sentBeforeKill, "the restarted daemon carried the conversations on")
            daemon.terminate()  // SIGTERM: a graceful stop
            daemon.waitUntilExit()
            #expect(daemon.terminationReason == .exit, "SIGTERM stops the daemon cleanly")
        }

        let database = try AppDatabase.open(path: data.url.appendingPathComponent("samenspraak.sqlite").path)
        let (bookings, interrupted, outboxSent) = try database.readNow { tx in
            (try tx.activeBookingCount(), try tx.failedDeliveries().filter { $0.reason.contains("interrupted") }.count,
             try tx.outboxCount())
        }
        #expect(bookings >= parents, "every parent booked a talk")
        #expect(fake.sent.count <= outboxSent, "no outbox row was delivered twice")
        for index in 0..<parents {
            let confirmations = fake.sent.filter { $0.chatID == String(8_000_000 + index) && $0.text.hasPrefix("Gepland!") }.count
            #expect(confirmations <= 1, "parent \(index) got \(confirmations) confirmations")
        }
        let unconfirmed = (0..<parents).filter { index in !fake.sent.contains { $0.chatID == String(8_000_000 + index) && $0.text.hasPrefix("Gepland!") } }
        #expect(unconfirmed.count <= interrupted, "a missing confirmation is one the kill interrupted, listed for staff")
    }

    func invites(_ data: TemporaryDirectory) throws -> [String] {
        let output = Pipe()
        let process = try run(["invites", "--data", data.url.path], output: output)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").dropFirst().compactMap { line in
            line.split(separator: ",").first { $0.count == 14 && $0.filter { $0 == "-" }.count == 2 }.map(String.init)
        }
    }

    @discardableResult
    func run(_ arguments: [String], token: String? = nil, output: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments + ["--conversations", Repository.conversations.path, "--locales", Repository.locales.path]
        process.environment = childEnvironment(token.map { ["SAMENSPRAAK_TELEGRAM_TOKEN": $0] } ?? [:])
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
