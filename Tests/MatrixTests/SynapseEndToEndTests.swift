import AsyncHTTPClient
import Foundation
import Matrix
import NIOCore
import NIOHTTP1
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// A real Synapse on 127.0.0.1, started by `synapse.sh` from a venv with matrix-synapse
/// (`python3 -m venv /tmp/synapse-venv && /tmp/synapse-venv/bin/pip install matrix-synapse`, as `.ci/run` does), or
/// the python SAMENSPRAAK_SYNAPSE_PYTHON names. Skipped without it, unless SAMENSPRAAK_SYNAPSE_TESTS=required.
enum Synapse {
    static var python: String? {
        let path = ProcessInfo.processInfo.environment["SAMENSPRAAK_SYNAPSE_PYTHON"] ?? "/tmp/synapse-venv/bin/python"
        let register = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("register_new_matrix_user").path
        return FileManager.default.isExecutableFile(atPath: path) && FileManager.default.isExecutableFile(atPath: register) ? path : nil
    }

    static var isRequired: Bool { ProcessInfo.processInfo.environment["SAMENSPRAAK_SYNAPSE_TESTS"] == "required" }
    static let script = Repository.root.appendingPathComponent("Tests/MatrixTests/synapse.sh").path

    /// Runs Synapse while `body` runs, with the bot and a parent registered.
    static func running<T: Sendable>(_ body: (_ port: Int) async throws -> T) async throws -> T {
        guard let python else { throw SynapseError.notInstalled }
        let folder = TemporaryDirectory()
        // Below Linux's ephemeral ports (32,768 and up), which the suite's own outgoing connections may be holding.
        let port = Int.random(in: 20_000..<32_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/bin/bash")
        server.arguments = [script, python, folder.path("synapse"), "\(port)"]
        _ = FileManager.default.createFile(atPath: folder.path("synapse.out"), contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.path("synapse.out")))
        server.standardOutput = output
        server.standardError = output
        try server.run()
        defer {
            // SIGKILL: a child of the test runner starts with SIGTERM blocked, so Synapse would not hear it.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(port)"
        let deadline = ContinuousClock.now + .seconds(90)
        while try await status(of: base + "/_matrix/client/versions") != 200 {
            guard server.isRunning, ContinuousClock.now < deadline else {
                throw SynapseError.didNotStart((try? String(contentsOfFile: folder.path("synapse.out"), encoding: .utf8)) ?? "")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        for (user, password) in [("samenspraak", botPassword), ("ouder", parentPassword)] {
            let register = Process()
            register.executableURL = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("register_new_matrix_user")
            register.arguments = ["-c", folder.path("synapse/homeserver.yaml"), "-u", user, "-p", password, "--no-admin", base]
            register.standardOutput = FileHandle.nullDevice
            try register.run()
            register.waitUntilExit()
            guard register.terminationStatus == 0 else { throw SynapseError.registrationFailed(user) }
        }
        return try await body(port)
    }

    /// Whether the venv also has an end-to-end encrypting client for the parent: matrix-nio 0.25 with python-olm
    /// (`pip install "matrix-nio==0.25.2" peewee cachetools atomicwrites future` and Debian's python3-olm, as `.ci/run` does).
    static let hasEncryptingClient: Bool = {
        guard let python else { return false }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "from nio.crypto import ENCRYPTION_ENABLED; assert ENCRYPTION_ENABLED"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        guard (try? check.run()) != nil else { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }()

    static let nioParent = Repository.root.appendingPathComponent("Tests/MatrixTests/nio_parent.py").path

    static let botPassword = "bot-wachtwoord-e2e"
    static let parentPassword = "ouder-wachtwoord-e2e"

    static func status(of url: String) async throws -> Int {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2))
            _ = try await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        } catch {
            return 0
        }
    }
}

enum SynapseError: Error { case notInstalled, didNotStart(String), registrationFailed(String), call(String, Int, String) }

/// A parent's Matrix client on the real homeserver: raw client-server API calls.
final class RealParent: @unchecked Sendable {
    let base: String
    var token = ""
    var since: String?
    var room = ""
    var received: [String] = []
    var read = 0

    init(port: Int) { base = "http://127.0.0.1:\(port)" }

    func call(_ method: NIOHTTP1.HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if !token.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let text = String(buffer: bytes)
        guard response.status.code == 200, let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw SynapseError.call(path, Int(response.status.code), text)
        }
        return json
    }

    func login() async throws {
        let answer = try await call(.POST, "/_matrix/client/v3/login", ["type": "m.login.password", "identifier": ["type": "m.id.user", "user": "@ouder:localhost"],
                                                                       "password": Synapse.parentPassword])
        token = answer["access_token"] as? String ?? ""
    }

    /// A direct chat with the bot, unencrypted (the bot reads no encrypted messages).
    func startDirectChat(with bot: String) async throws {
        let answer = try await call(.POST, "/_matrix/client/v3/createRoom", ["preset": "trusted_private_chat", "is_direct": true, "invite": [bot]])
        room = answer["room_id"] as? String ?? ""
    }

    func joinedMembers() async throws -> Int {
        let encoded = room.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? room
        return (try await call(.GET, "/_matrix/client/v3/rooms/\(encoded)/joined_members")["joined"] as? [String: Any])?.count ?? 0
    }

    private var sent = 0
    func say(_ text: String) async throws {
        sent += 1
        let encoded = room.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? room
        _ = try await call(.PUT, "/_matrix/client/v3/rooms/\(encoded)/send/m.room.message/parent\(sent)", ["msgtype": "m.text", "body": text])
    }

    /// The next message of the bot in the room that matches, reading /sync as a client does.
    func waitForMessage(from bot: String, timeout: Duration = .seconds(30), _ matches: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let index = received.indices.dropFirst(read).first(where: { matches(received[$0]) }) {
                read = index + 1
                return received[index]
            }
            var path = "/_matrix/client/v3/sync?timeout=1000"
            if let since { path += "&since=\(since)" }
            let answer = try await call(.GET, path)
            since = answer["next_batch"] as? String
            let rooms = (answer["rooms"] as? [String: Any])?["join"] as? [String: Any]
            let events = ((rooms?[room] as? [String: Any])?["timeline"] as? [String: Any])?["events"] as? [[String: Any]] ?? []
            for event in events where event["type"] as? String == "m.room.message" && event["sender"] as? String == bot {
                received.append((event["content"] as? [String: Any])?["body"] as? String ?? "")
            }
        }
        throw MatrixTestError.noMessage(received)
    }

    func number(of label: String, in body: String) throws -> String {
        for line in body.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].hasSuffix("."), parts[1] == label { return String(parts[0].dropLast()) }
        }
        throw MatrixTestError.noChoice(label, body)
    }
}

@Suite(.serialized) struct SynapseEndToEndTests {
    @Test func synapseIsThereWhenRequired() {
        #expect(!Synapse.isRequired || Synapse.python != nil, "SAMENSPRAAK_SYNAPSE_TESTS=required but there is no Synapse venv")
        #expect(!Synapse.isRequired || Synapse.hasEncryptingClient, "SAMENSPRAAK_SYNAPSE_TESTS=required but the venv has no matrix-nio with libolm")
    }

    /// Element's default: an encrypted direct chat. The parent is matrix-nio (its own Olm and Megolm, through
    /// python-olm), a client independent of ours: it shares its room key with the bot's device, the bot decrypts, and
    /// every answer must reach the parent Megolm-encrypted (the script fails on a plain or undecryptable one), also
    /// after the bot restarted halfway.
    @Test(.enabled(if: Synapse.hasEncryptingClient, "needs Synapse and matrix-nio with libolm in its venv (see .ci/run)"), .timeLimit(.minutes(4)))
    func aParentInAnEncryptedDirectChatBooksAndReadsTheBotsEncryptedAnswers() async throws {
        let bot = "@samenspraak:localhost"
        try await Synapse.running { port in
            let school = try TestSchool()
            let code = InviteCode.display(try school.household().code)
            let folder = TemporaryDirectory()
            let parent = try ParentProcess(Synapse.python!, [Synapse.nioParent, "http://127.0.0.1:\(port)", bot, Synapse.parentPassword, code], in: folder)
            defer { parent.stop() }
            let restartableBot = { MatrixBot(school: school, port: port, userID: bot, credentials: .password(Synapse.botPassword), pickleKey: "sleutel-van-de-school") }
            try await restartableBot().running {
                try await waitUntil(timeout: .seconds(90)) { parent.output.contains("bot: Welkom bij Samenspraak") || !parent.isRunning }
            }
            // The bot restarts mid-conversation: the same device with the same keys, its Megolm session and the
            // parent's go on, and what the parent wrote meanwhile is read from the stored since token.
            try await restartableBot().running {
                while parent.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            }
            let output = parent.output
            #expect(parent.status == 0, "\(output)")
            #expect(output.contains("bot: Welkom! Stuur de code") && output.contains("booked"), "\(output)")
            #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 1)
            #expect(try school.runtime.database.readNow { try $0.matrixAccount()?.deviceID } == MatrixClient.deviceID)
            #expect(try school.runtime.database.readNow { try $0.matrixPendingEvents() }.isEmpty)
        }
    }

    /// A program running beside the test (the nio parent), its output collected in a file.
    final class ParentProcess: Sendable {
        let process = Process()
        let outputPath: String

        init(_ program: String, _ arguments: [String], in folder: TemporaryDirectory) throws {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
            outputPath = folder.path("parent.out")
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
            process.standardOutput = output
            process.standardError = output
            try process.run()
        }

        var isRunning: Bool { process.isRunning }
        var status: Int32 { process.terminationStatus }
        var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
        func stop() { if process.isRunning { process.terminate() } }
    }

    @Test(.enabled(if: Synapse.python != nil,
                   "needs Synapse: python3 -m venv /tmp/synapse-venv && /tmp/synapse-venv/bin/pip install matrix-synapse (or SAMENSPRAAK_SYNAPSE_PYTHON)"),
          .timeLimit(.minutes(3)))
    func aParentInvitesTheBotOnARealHomeserverAndBooks() async throws {
        let bot = "@samenspraak:localhost"
        try await Synapse.running { port in
            let school = try TestSchool()
            try await MatrixBot(school: school, port: port, userID: bot, credentials: .password(Synapse.botPassword)).running {
                let parent = RealParent(port: port)
                try await parent.login()
                try await parent.startDirectChat(with: bot)
                // The bot joins the direct chat it was invited to.
                let deadline = ContinuousClock.now + .seconds(30)
                while try await parent.joinedMembers() < 2 {
                    guard ContinuousClock.now < deadline else { throw MatrixTestError.noMessage(["the bot did not join"]) }
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await parent.say("Hallo")
                let ask = try await parent.waitForMessage(from: bot) { _ in true }
                #expect(ask.hasPrefix("Welkom! Stuur de code"))
                try await parent.say("Mijn code: " + InviteCode.display(try school.household().code))
                let welcome = try await parent.waitForMessage(from: bot) { $0.contains("Nederlands") }
                try await parent.say(try parent.number(of: "Nederlands", in: welcome))
                let menu = try await parent.waitForMessage(from: bot) { $0.contains(". Gesprek plannen") }
                try await parent.say(try parent.number(of: "Gesprek plannen", in: menu))
                for question in ["Voor welk kind", "Op welke dag", "Hoe laat"] {
                    _ = try await parent.waitForMessage(from: bot) { $0.contains(question) && $0.contains("\n1. ") }
                    try await parent.say("1")
                }
                let confirmation = try await parent.waitForMessage(from: bot) { $0.hasPrefix("Gepland!") }
                #expect(confirmation.contains("/ics/"))
                #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 1)
                #expect(try school.runtime.database.readNow { try $0.syncPosition(channel: "matrix") } != nil)
            }
        }
    }
}
