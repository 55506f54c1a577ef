import App
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Storage
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#else
import Darwin
private let streamSocket = SOCK_STREAM
#endif

/// Sends `signal` to a child process.
private func send(_ signal: Int32, to process: Process) {
    _ = kill(process.processIdentifier, signal)
}

/// A school board's failover: two `samenspraak serve` child processes on one PostgreSQL schema and one bot, sixteen
/// parents booking through the fake Bot API, and one instance killed with SIGKILL in the middle. Afterwards every
/// conversation completed, no update Telegram was told had arrived was lost, no message went out twice and no slot
/// was booked twice. Once with long polling (one instance polls at a time; the other takes over), once with webhooks
/// behind a load balancer (the test plays Telegram and the balancer: round robin, and on a refused connection or a
/// non-2xx answer the other instance, as Telegram retries and a balancer fails over).
@Suite(.serialized) struct FailoverTests {
    static var postgresURL: String? { ProcessInfo.processInfo.environment["SAMENSPRAAK_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var postgresRequired: Bool { ProcessInfo.processInfo.environment["SAMENSPRAAK_POSTGRES_TESTS"] == "required" }
    /// Once, in the pass on SQLite: the daemons' PostgreSQL comes from the URL, whatever the test schools use.
    static var enabled: Bool {
        FileManager.default.isExecutableFile(atPath: CrashTests.executable.path) && (postgresURL != nil || postgresRequired) && !TestDatabase.isPostgres
    }

    static let parents = 16

    @Test(.enabled(if: FailoverTests.enabled, "needs the built samenspraak binary and SAMENSPRAAK_POSTGRES_URL"), .timeLimit(.minutes(3)))
    func theOtherInstanceTakesOverPollingWhenOneIsKilled() async throws {
        try await withDeployment("failover_polling") { deployment in
            let fake = FakeBotAPI(emulatesConflicts: true)
            try await fake.serving { port in
                defer { deployment.killAll() }  // before the fake stops, on any way out
                let a = try await deployment.start("a", fakePort: port)
                try await waitUntil(timeout: .seconds(20)) { fake.instanceCalls.contains { $0.instance == "a" && $0.method == "getUpdates" } }
                let b = try await deployment.start("b", fakePort: port)

                let conversations = deployment.book(fake)
                defer { conversations.cancel() }
                try await deployment.waitUntilSent(fake, Self.parents * 7 / 3)
                let killedAt = try await deployment.kill(a)
                // B takes over: it polls within seconds of A's death.
                let tookOver: Bool
                do {
                    try await waitUntil(timeout: .seconds(10)) { fake.instanceCalls.contains { $0.instance == "b" && $0.method == "getUpdates" && $0.at > killedAt } }
                    tookOver = true
                } catch { tookOver = false }
                #expect(tookOver, "B did not poll within 10 s of A's death\n\(deployment.tails())")
                try await conversations.value
                try await deployment.drainOutbox()
                try await deployment.stop(b)

                let calls = fake.instanceCalls
                let polledTogether = calls.filter { $0.instance == "b" && $0.method == "getUpdates" && $0.at < killedAt }.count
                #expect(polledTogether == 0, "while A held the lease, B polled \(polledTogether) times too (409 conflicts: \(calls.filter { $0.method == "deleteWebhook" }.count) deleteWebhook calls)")
            }
            // Every update whose offset was confirmed (a later getUpdates asked past it) was stored and handled.
            let confirmed = fake.handedOut.filter { $0 < fake.confirmedOffset }
            try deployment.check(fake, acknowledged: confirmed)
        }
    }

    @Test(.enabled(if: FailoverTests.enabled, "needs the built samenspraak binary and SAMENSPRAAK_POSTGRES_URL"), .timeLimit(.minutes(3)))
    func webhooksBehindALoadBalancerSurviveAKilledInstance() async throws {
        try await withDeployment("failover_webhook") { deployment in
            let fake = FakeBotAPI()
            let telegram = WebhookTelegram(fake: fake)
            try await fake.serving { port in
                defer { deployment.killAll() }  // before the fake stops, on any way out
                let webhook = ["--telegram-mode", "webhook", "--public-url", "https://school.example"]
                let a = try await deployment.start("a", fakePort: port, extra: webhook)
                try await waitUntil(timeout: .seconds(20)) { fake.webhookSecrets.contains { $0.instance == "a" } }
                let b = try await deployment.start("b", fakePort: port, extra: webhook)
                try await waitUntil(timeout: .seconds(20)) { fake.webhookSecrets.contains { $0.instance == "b" } }
                telegram.targets = [("a", deployment.ports["a"] ?? 0), ("b", deployment.ports["b"] ?? 0)]

                let delivery = Task { await telegram.deliver() }
                defer { delivery.cancel() }
                let conversations = deployment.book(fake)
                defer { conversations.cancel() }
                do {
                    try await deployment.waitUntilSent(fake, Self.parents * 7 / 3)
                } catch {
                    throw DeploymentError.stalled("\(fake.sent.count) messages sent; answered: \(telegram.answered), refused: \(telegram.refusals)", deployment.tails())
                }
                let answeredBeforeKill = telegram.answered
                _ = try await deployment.kill(a)
                let booked: (any Error)?
                do { try await conversations.value; booked = nil } catch { booked = error }
                delivery.cancel()
                await delivery.value
                if let booked { throw booked }
                try await deployment.drainOutbox()
                try await deployment.stop(b)

                #expect(telegram.undelivered.isEmpty, "Telegram gave up on updates \(telegram.undelivered.sorted())")
                // Telegram sends the secret of the latest setWebhook; an instance that registered its own, different
                // secret earlier refuses every update with 401.
                #expect(answeredBeforeKill["a", default: 0] > 0,
                        "A took no update before it was killed: \(telegram.refusals) (secrets registered: \(fake.webhookSecrets.map { "\($0.instance)=\($0.secret.prefix(6))…" }))")
            }
            try deployment.check(fake, acknowledged: telegram.acknowledged)
        }
    }

    /// Runs `body` on a fresh schema `<prefix>_<random>` with the demo school of `parents` households in it; kills any
    /// daemon still running and drops the schema afterwards, whatever happened.
    func withDeployment(_ prefix: String, _ body: (Deployment) async throws -> Void) async throws {
        let base = try #require(Self.postgresURL, "SAMENSPRAAK_POSTGRES_TESTS=required but SAMENSPRAAK_POSTGRES_URL is not set")
        let schema = prefix + "_" + UUID().uuidString.prefix(8).lowercased()
        let deployment = Deployment(url: base + (base.contains("?") ? "&" : "?") + "schema=" + schema)
        do {
            try await deployment.createSchool()
            try await body(deployment)
        } catch {
            Issue.record("\(error)\n\(deployment.tails())")
        }
        deployment.killAll()
        let database = try DatabaseLocation(deployment.url).open(logger: Deployment.quiet)
        _ = try database.engine.writeNow { db in try db.execute("DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE", []) }
        try database.close()
    }
}

/// The daemons of one scenario: their shared data folder and schema, their ports and their logs (stderr and stdout,
/// in the data folder, whose tails go into failure messages).
final class Deployment {
    static let quiet: Logger = {
        var logger = Logger(label: "failover-test")
        logger.logLevel = .critical
        return logger
    }()

    let data = TemporaryDirectory()
    let url: String
    var codes: [String] = []
    var processes: [String: Process] = [:]
    var ports: [String: Int] = [:]
    let parents = FailoverTests.parents

    init(url: String) { self.url = url }

    /// `demo --no-serve` on the schema, and the invite codes it made.
    func createSchool() async throws {
        let demo = try run(["demo", "--no-serve", "--households", "\(parents)", "--data", data.url.path, "--database", url], log: "demo")
        try await exited(demo, within: .seconds(60))
        try #require(demo.terminationStatus == 0, "demo failed\n\(tails())")
        let output = Pipe()
        let invites = try run(["invites", "--data", data.url.path, "--database", url], log: "invites", output: output)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try await exited(invites, within: .seconds(30))
        codes = text.split(separator: "\n").dropFirst().compactMap { line in
            line.split(separator: ",").first { $0.count == 14 && $0.filter { $0 == "-" }.count == 2 }.map(String.init)
        }
        try #require(codes.count >= parents, "invites gave \(codes.count) codes\n\(tails())")
    }

    /// Starts `serve` as instance `name` (its Bot API address is the fake's, under /name) and waits until it listens
    /// and /healthz answers. The port was free when asked for, but a test running beside this one may bind it before the
    /// daemon does (and then answer its /healthz): the daemon's own log must say it listens, and when it says the
    /// address is in use, the instance starts again on another port.
    func start(_ name: String, fakePort: Int, extra: [String] = []) async throws -> Process {
        for attempt in 1...3 {
            let port = try freePort()
            let process = try run(["serve", "--data", data.url.path, "--database", url, "--port", "\(port)",
                                   "--telegram-api-url", "http://127.0.0.1:\(fakePort)/\(name)",
                                   "--telegram-chat-interval", "0.01", "--telegram-per-second", "1000"] + extra,
                                  log: name, token: FakeBotAPI().token)
            processes[name] = process
            ports[name] = port
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let log = (try? String(contentsOfFile: data.path("\(name).log"), encoding: .utf8)) ?? ""
                if !process.isRunning {
                    if attempt < 3, log.contains("Address already in use") { break }
                    try #require(process.isRunning, "instance \(name) exited with \(process.terminationStatus)\n\(tails())")
                }
                if log.contains("Server started and listening on"), log.contains(":\(port)\n") {
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
                    request.method = .GET
                    if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)) {
                        _ = try? await response.body.collect(upTo: 1 << 20)
                        return process
                    }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            if process.isRunning { throw DeploymentError.notAnswering(name, tails()) }
        }
        throw DeploymentError.notAnswering(name, tails())
    }

    /// Sixteen parents book at once, each through its own chat.
    func book(_ fake: FakeBotAPI) -> Task<Void, any Error> {
        let codes = Array(codes.prefix(parents))
        return Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, code) in codes.enumerated() {
                    group.addTask { try await TelegramParent(fake: fake, chatID: 8_000_000 + Int64(index)).bookPersistently(code: code) }
                }
                try await group.waitForAll()
            }
        }
    }

    func waitUntilSent(_ fake: FakeBotAPI, _ count: Int) async throws {
        try await waitUntil(timeout: .seconds(60)) { fake.sent.count >= count }
    }

    /// SIGKILL; returns when it was sent.
    func kill(_ process: Process) async throws -> ContinuousClock.Instant {
        let at = ContinuousClock.now
        send(SIGKILL, to: process)
        try await exited(process, within: .seconds(10))
        #expect(process.terminationReason == .uncaughtSignal)
        return at
    }

    /// SIGTERM, and a clean exit expected.
    func stop(_ process: Process) async throws {
        process.terminate()
        do {
            try await exited(process, within: .seconds(20))
        } catch {
            Issue.record("SIGTERM did not stop the daemon within 20 s (killed instead): \(error)")
            return  // the checks of the schema still run
        }
        #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                "SIGTERM stops the daemon cleanly (\(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus))\n\(tails())")
    }

    /// Waits (up to 15 s) until no Telegram message is waiting to be sent, so the checks see everything the survivor sends.
    func drainOutbox() async throws {
        let database = try DatabaseLocation(url).open(logger: Self.quiet)
        defer { try? database.close() }
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let pending: Int = try database.engine.readNow { db in
                try db.rows("SELECT COUNT(*) FROM outbox WHERE channel = 'telegram' AND status = 'pending'", [])[0][0]
            }
            if pending == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func killAll() {
        for process in processes.values where process.isRunning {
            send(SIGKILL, to: process)
            process.waitUntilExit()
        }
    }

    /// The checks of both scenarios, read from the schema. `acknowledged`: the updates Telegram was told had arrived.
    func check(_ fake: FakeBotAPI, acknowledged: Set<Int64>) throws {
        let database = try DatabaseLocation(url).open(logger: Self.quiet)
        defer { try? database.close() }
        let (bookings, interrupted) = try database.readNow { tx in
            (try tx.activeBookingCount(), try tx.failedDeliveries().filter { $0.reason.contains("interrupted") }.count)
        }
        let (doubleBooked, outbox, recorded, processed, unprocessed) = try database.engine.readNow { db in
            let doubleBooked: [Int64] = try db.rows("SELECT slotID FROM booking WHERE cancelledAt IS NULL GROUP BY slotID HAVING COUNT(*) > 1", []).map { $0[0] }
            let outbox: [String: Int] = Dictionary(uniqueKeysWithValues: try db.rows("SELECT status, COUNT(*) FROM outbox WHERE channel = 'telegram' GROUP BY status", [])
                .map { ($0[0] as String, $0[1] as Int) })
            let recorded: Set<String> = Set(try db.rows("SELECT platformMessageID FROM outbox WHERE channel = 'telegram' AND platformMessageID IS NOT NULL", []).map { $0[0] })
            let processed: Set<String> = Set(try db.rows("SELECT platformMessageID FROM inbox WHERE channel = 'telegram' AND processedAt IS NOT NULL", []).map { $0[0] })
            let unprocessed: [String] = try db.rows("SELECT platformMessageID FROM inbox WHERE channel = 'telegram' AND processedAt IS NULL ORDER BY id", []).map { $0[0] }
            return (doubleBooked, outbox, recorded, processed, unprocessed)
        }
        let sent = fake.sent
        let rows = outbox.values.reduce(0, +)
        let summary = "outbox \(outbox), \(sent.count) sent (by \(Dictionary(grouping: sent, by: \.instance).mapValues(\.count))), \(interrupted) interrupted"

        #expect(bookings >= parents, "every parent booked a talk: \(bookings) of \(parents)")
        #expect(doubleBooked.isEmpty, "slots booked twice: \(doubleBooked)")
        #expect(sent.count <= rows, "no outbox row was delivered twice: \(summary)")
        // A send the database has no record of is a row sent twice (the second send's id replaced the first) or one
        // the kill interrupted between sending and recording.
        let unrecorded = sent.filter { !recorded.contains(String($0.messageID)) }
        #expect(unrecorded.count <= interrupted + outbox["sending", default: 0],
                "sends no outbox row records: \(unrecorded.map { "\($0.instance)→\($0.chatID): \($0.text.prefix(30))" }); \(summary)")
        #expect(outbox["sending", default: 0] == 0,
                "rows left 'sending' by the killed instance (they hold back their chat's later messages for good): \(summary)")
        for index in 0..<parents {
            let chat = String(8_000_000 + index)
            let confirmations = sent.filter { $0.chatID == chat && $0.text.hasPrefix("Gepland!") }
            #expect(confirmations.count <= 1, "parent \(index) got \(confirmations.count) confirmations, from \(confirmations.map(\.instance))")
        }
        let unconfirmed = (0..<parents).filter { index in !sent.contains { $0.chatID == String(8_000_000 + index) && $0.text.hasPrefix("Gepland!") } }
        #expect(unconfirmed.count <= interrupted, "a missing confirmation is one the kill interrupted, listed for staff: parents \(unconfirmed); \(summary)")
        let lost = acknowledged.filter { !processed.contains("update:\($0)") }.sorted()
        #expect(!acknowledged.isEmpty)
        #expect(lost.isEmpty, "acknowledged updates not handled: \(lost) of \(acknowledged.count) (unprocessed inbox rows: \(unprocessed))\n\(tails())")
    }

    /// The end of every log in the data folder: its last 25 lines, a line repeated in a row shown once with how
    /// often (two pollers' 409 ping-pong logs one line thousands of times), and every distinct error line.
    func tails() -> String {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: data.url.path).filter { $0.hasSuffix(".log") }.sorted()) ?? []
        // The demo's log lists every invite link: shown only when no instance ran.
        let instances = all.filter { $0 != "demo.log" && $0 != "invites.log" }
        let logs = instances.isEmpty ? all : instances
        return logs.map { name in
            let text = (try? String(contentsOfFile: data.path(name), encoding: .utf8)) ?? ""
            // Without the timestamp, so repeats compare equal.
            let lines = text.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).last.map(String.init) ?? "" }
            var collapsed: [(line: String, count: Int)] = []
            for line in lines {
                if collapsed.last?.line == line { collapsed[collapsed.count - 1].count += 1 } else { collapsed.append((line, 1)) }
            }
            var errors: [String] = []
            for line in lines where (line.hasPrefix("error") || line.hasPrefix("critical")) && !errors.contains(line) { errors.append(line) }
            return "--- \(name): \(lines.count) lines; distinct errors: \(errors.count)\n" + errors.prefix(10).map { "  ! \($0)" }.joined(separator: "\n")
                + "\n  last lines:\n" + collapsed.suffix(25).map { "  \($0.line)\($0.count > 1 ? " (×\($0.count))" : "")" }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    private func run(_ arguments: [String], log: String, token: String? = nil, output: Pipe? = nil) throws -> Process {
        let path = data.path("\(log).log")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = CrashTests.executable
        process.arguments = arguments + ["--conversations", Repository.conversations.path, "--locales", Repository.locales.path]
        process.environment = childEnvironment(["LOG_LEVEL": "info"].merging(token.map { ["SAMENSPRAAK_TELEGRAM_TOKEN": $0] } ?? [:]) { $1 })
        process.standardOutput = output ?? handle
        process.standardError = handle
        try process.run()
        try handle.close()
        return process
    }

    private func exited(_ process: Process, within timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                send(SIGKILL, to: process)
                process.waitUntilExit()
                throw DeploymentError.didNotExit(processes.first { $0.value === process }.map { "instance \($0.key)" } ?? process.arguments?.first ?? "", tails())
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()  // lets Foundation collect the status
    }

    /// A port nobody listens on now, for a daemon to take.
    private func freePort() throws -> Int {
        let descriptor = socket(AF_INET, streamSocket, 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw DeploymentError.noPort }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

enum DeploymentError: Error, CustomStringConvertible {
    case notAnswering(String, String)
    case didNotExit(String, String)
    case noPort
    case stalled(String, String)

    var description: String {
        switch self {
        case .notAnswering(let name, let tails): "instance \(name) did not answer /healthz within 30 s\n\(tails)"
        case .didNotExit(let command, let tails): "\(command) did not exit in time\n\(tails)"
        case .noPort: "no free port"
        case .stalled(let what, let tails): "the conversations stalled: \(what)\n\(tails)"
        }
    }
}

/// Telegram in webhook mode, with a load balancer in front of the instances: takes the updates the parents queue on
/// the fake and POSTs each, a chat's in order and chats at once, to the instances round robin with the secret of the
/// latest setWebhook. A refused connection or a non-2xx answer is retried on the other instance (and again, after a
/// pause, for up to 30 s) as Telegram retries and a balancer fails over; an instance that could not be reached at
/// all is taken out of the rotation, as a balancer's health check would. 200 means the update is acknowledged.
final class WebhookTelegram: Sendable {
    private struct State {
        var targets: [(name: String, port: Int)] = []
        var turn = 0
        var acknowledged: Set<Int64> = []
        var answered: [String: Int] = [:]
        var refusals: [String: [String: Int]] = [:]
        var undelivered: Set<Int64> = []
        /// Instances a request could not reach (no answer at all): the balancer sends them nothing more.
        var down: Set<String> = []
    }

    let fake: FakeBotAPI
    private let state = Mutex(State())

    init(fake: FakeBotAPI) { self.fake = fake }

    var targets: [(name: String, port: Int)] {
        get { state.withLock { $0.targets } }
        set { state.withLock { $0.targets = newValue } }
    }
    var acknowledged: Set<Int64> { state.withLock { $0.acknowledged } }
    /// How many updates each instance answered with 200.
    var answered: [String: Int] { state.withLock { $0.answered } }
    /// Per instance, how often each kind of failure came (an HTTP status or an error's type).
    var refusals: [String: [String: Int]] { state.withLock { $0.refusals } }
    var undelivered: Set<Int64> { state.withLock { $0.undelivered } }

    /// Delivers until cancelled: each chat's updates in order on a queue of its own, so a slow answer for one chat
    /// holds up only that chat.
    func deliver() async {
        await withTaskGroup(of: Void.self) { group in
            var chats: [Int64: AsyncStream<(id: Int64, json: String)>.Continuation] = [:]
            while !Task.isCancelled {
                let updates = fake.takeUpdates()
                if updates.isEmpty {
                    try? await Task.sleep(for: .milliseconds(10))
                    continue
                }
                for update in updates {
                    let chat = Self.chat(of: update.json)
                    if chats[chat] == nil {
                        let (stream, continuation) = AsyncStream.makeStream(of: (id: Int64, json: String).self)
                        chats[chat] = continuation
                        group.addTask { for await update in stream { await self.post(update) } }
                    }
                    chats[chat]?.yield(update)
                }
            }
            for continuation in chats.values { continuation.finish() }
        }
    }

    private func post(_ update: (id: Int64, json: String)) async {
        let deadline = ContinuousClock.now + .seconds(30)
        var target = state.withLock { state -> Int in
            state.turn += 1
            return state.turn
        }
        while ContinuousClock.now < deadline, !Task.isCancelled {
            let (all, down) = state.withLock { ($0.targets, $0.down) }
            let targets = all.count > down.count ? all.filter { !down.contains($0.name) } : all
            for _ in targets.indices {
                let (name, port) = targets[target % targets.count]
                target += 1
                let secret = fake.webhookSecrets.last?.secret ?? ""
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/telegram/webhook")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "X-Telegram-Bot-Api-Secret-Token", value: secret)
                request.body = .bytes(ByteBuffer(string: update.json))
                let outcome: String
                let began = ContinuousClock.now
                do {
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    if (200..<300).contains(response.status.code) {
                        state.withLock {
                            $0.acknowledged.insert(update.id)
                            $0.answered[name, default: 0] += 1
                        }
                        return
                    }
                    outcome = "\(response.status.code)"
                } catch {
                    // AsyncHTTPClient tries to connect again until the deadline: a dead instance costs the whole timeout.
                    outcome = "\(error)".prefix(60) + (ContinuousClock.now - began > .seconds(1) ? " after \(ContinuousClock.now - began)" : "")
                    state.withLock { _ = $0.down.insert(name) }
                }
                state.withLock { $0.refusals[name, default: [:]][outcome, default: 0] += 1 }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        // Stopped with the scenario (its conversations are over): not given up on.
        if !Task.isCancelled { state.withLock { _ = $0.undelivered.insert(update.id) } }
    }

    /// The chat an update belongs to, from its JSON.
    static func chat(of json: String) -> Int64 {
        let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
        let message = (object["message"] ?? (object["callback_query"] as? [String: Any])?["message"]) as? [String: Any]
        return ((message?["chat"] as? [String: Any])?["id"] as? NSNumber)?.int64Value ?? 0
    }
}
