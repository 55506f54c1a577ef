import App
import Foundation
import HTTPServer
import Hummingbird
import HummingbirdTesting
import Logging
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// A school board's daemon: several schools in one process on one port, each with its own folder, database, address
/// and staff, over real HTTP on 127.0.0.1. Nothing of one school can be reached through another's address.
@Suite struct BoardTests {
    @Test func twoSchoolsInOneDaemonNeverReachEachOther() async throws {
        let board = try TestBoard(["klimop", "regenboog"])
        let klimop = try board.runtime("klimop"), regenboog = try board.runtime("regenboog")
        _ = try StaffPages.saveAccount(email: "office@klimop.nl", name: "Ans", role: "office", teacherID: nil, password: "klimop-horse-1",
                                       database: klimop.database, cost: 4)
        let code = InviteCode.display(try #require(try klimop.database.readNow { try $0.households().first?.inviteCode }))

        try await board.withLiveServer { port in
            try await withSchoolClient(port: port, host: "klimop.test") { atKlimop in
                try await withSchoolClient(port: port, host: "regenboog.test") { atRegenboog in
                    // A parent of de Klimop books at de Klimop's address.
                    let parent = atKlimop.browser(code: code)
                    try await parent.send(["start": true, "language": "nl"])
                    try await parent.press("Nederlands")
                    try await parent.press("Gesprek plannen")
                    try await parent.pressFirst()
                    try await parent.pressFirst()
                    try await parent.pressFirst()
                    #expect(parent.messages.contains { ($0["text"] as? String)?.hasPrefix("Gepland!") == true })

                    // The same invite code at de Regenboog's address finds nothing there, and changes nothing.
                    let foreign = try await atRegenboog.execute(uri: "/api/chat/\(code)/messages", method: .post, headers: [.contentType: "application/json"],
                                                                body: ByteBuffer(string: #"{"client":"browser-c1","id":"message-1","start":true,"language":"nl"}"#))
                    #expect(foreign.status == .notFound, "\(String(buffer: foreign.body))")
                    #expect(try regenboog.database.readNow { tx in try tx.activeBookingCount() } == 0)
                    #expect(try klimop.database.readNow { tx in try tx.activeBookingCount() } == 1)

                    // De Klimop's office logs in at its own address only; its API token opens only its own API.
                    #expect(try await atKlimop.postStaffLogin("office@klimop.nl", "klimop-horse-1") == .seeOther)
                    #expect(try await atRegenboog.postStaffLogin("office@klimop.nl", "klimop-horse-1") != .seeOther)
                    let klimopToken: HTTPFields = [.authorization: "Bearer \(TestBoard.staffToken("klimop"))"]
                    let own = try await atKlimop.execute(uri: "/api/coverage", method: .get, headers: klimopToken)
                    #expect(own.status == .ok, "\(String(buffer: own.body))")
                    #expect(try await atRegenboog.execute(uri: "/api/coverage", method: .get, headers: klimopToken).status == .unauthorized)
                }
            }
            // An address that is no school's: nothing but the board's health check for the load balancer.
            try await withSchoolClient(port: port, host: "127.0.0.1") { unknown in
                let page = try await unknown.execute(uri: "/chat/\(code)", method: .get)
                #expect(page.status == .notFound)
                #expect(String(buffer: page.body).contains("No school is served at this address"))
                let health = try await unknown.execute(uri: "/healthz", method: .get)
                #expect(health.status == .ok && String(buffer: health.body) == "ok: 2 schools\n")
            }
        }
    }

    @Test func aBoardRefusesSchoolsThatWouldShareAnything() throws {
        let directory = TemporaryDirectory()
        func school(_ id: String, _ lines: String) throws {
            try FileManager.default.createDirectory(atPath: directory.path("schools/\(id)"), withIntermediateDirectories: true)
            try lines.write(toFile: directory.path("schools/\(id)/samenspraak.yaml"), atomically: true, encoding: .utf8)
        }
        try school("klimop", "school: school.yaml\ndatabase: samenspraak.sqlite\npublic_url: https://klimop.example.nl\n")
        try school("regenboog", "school: school.yaml\ndatabase: ../klimop/samenspraak.sqlite\npublic_url: https://KLIMOP.example.nl\nport: 9000\n")
        try school("zonnebloem", "school: school.yaml\n")
        try school("De Ster", "school: school.yaml\n")
        try FileManager.default.createDirectory(atPath: directory.path("schools/empty"), withIntermediateDirectories: true)
        let board = try ConfigurationLoader(commandLine: [.schools: directory.path("schools"), .telegramBot: "BoardBot"], environment: [:]).load()
        let found: [String]
        do {
            _ = try Board.load(board)
            found = []
        } catch {
            found = error.issues.map(\.description)
        }
        let schools = directory.path("schools")
        #expect(found.contains("--telegram-bot: belongs to one school: put it in that school's samenspraak.yaml"))
        #expect(found.contains("\(schools)/De Ster: is no school id: name a school's folder with lower-case letters, digits and dashes (such as de-klimop)"))
        #expect(found.contains("\(schools)/empty: has no samenspraak.yaml; each school's folder needs one"))
        #expect(found.contains("\(schools)/regenboog/samenspraak.yaml:4: port is the board's setting, not a school's (the board listens for all its schools)"))
        #expect(found.contains { $0.hasPrefix("\(schools)/zonnebloem/samenspraak.yaml: needs database: its own database") })
        #expect(found.contains { $0.hasPrefix("\(schools)/zonnebloem/samenspraak.yaml: needs public_url: its own address") })
        #expect(found.count == 6, "\(found)")

        // Mended, the two that remain share a host name and a database: both are named.
        try school("regenboog", "school: school.yaml\ndatabase: ../klimop/samenspraak.sqlite\npublic_url: https://KLIMOP.example.nl\n")
        for id in ["zonnebloem", "De Ster", "empty"] { try FileManager.default.removeItem(atPath: directory.path("schools/\(id)")) }
        let mended = try ConfigurationLoader(commandLine: [.schools: schools], environment: [:]).load()
        do {
            _ = try Board.load(mended)
            Issue.record("two schools on one database were accepted")
        } catch {
            #expect(error.issues.map(\.description) == [
                "\(schools)/regenboog/samenspraak.yaml: uses the same host name in public_url as the school klimop; each school needs its own",
                "\(schools)/regenboog/samenspraak.yaml: uses the same database as the school klimop; each school needs its own",
            ])
        }
    }
}

extension BoardTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable.path), "needs the built samenspraak binary"))
    func theCommandLineChecksABoardAndSendsOneSchoolsCommandsToItsOwnFile() throws {
        let board = try TestBoard(["klimop", "regenboog"], households: 5)
        let schools = board.directory.path("schools")
        let check = try CommandLineTests().run(["check", "--schools", schools], data: board.directory)
        #expect(check.status == 0, "\(check.errors)")
        #expect(check.output.hasPrefix("School board: 2 school(s): klimop (klimop.test), regenboog (regenboog.test)\n"))
        #expect(check.output.contains("All good"))
        let invites = try CommandLineTests().run(["invites", "--schools", schools], data: board.directory)
        #expect(invites.status == 1)
        #expect(invites.errors == "This is a school board's configuration (schools: \(schools)); name one school's file instead: --config \(schools)/<school>/samenspraak.yaml\n")
        let one = try CommandLineTests().run(["invites", "--config", "\(schools)/regenboog/samenspraak.yaml"], data: board.directory)
        // The same database the daemon uses: every household of de Regenboog, with its address.
        let households = try board.runtime("regenboog").database.readNow { try $0.households().map { InviteCode.display($0.inviteCode) } }
        #expect(one.status == 0 && one.output.split(separator: "\n").count == households.count + 1)
        for code in households { #expect(one.output.contains(",\(code),http://regenboog.test/chat/\(code),")) }
    }
}

/// A board in a temporary folder: one demo school per id, each with its own folder, `samenspraak.yaml`, school file,
/// roster, database, address `http://<id>.test` and staff API token, loaded as `samenspraak serve --schools` loads it.
struct TestBoard {
    let directory = TemporaryDirectory()
    let schools: [(school: Board.School, runtime: Runtime)]

    static func staffToken(_ id: String) -> String { "staff-token-of-\(id)-0123456789" }

    init(_ ids: [String], households: Int = 12) throws {
        for id in ids {
            let folder = directory.path("schools/\(id)")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Self.staffToken(id).write(toFile: "\(folder)/staff-token", atomically: true, encoding: .utf8)
            try """
                school: school.yaml
                database: samenspraak.sqlite
                public_url: http://\(id).test
                staff_token_file: staff-token
                """.write(toFile: "\(folder)/samenspraak.yaml", atomically: true, encoding: .utf8)
            _ = try DemoSetup.prepare(configuration: AppConfiguration(schoolFile: "\(folder)/school.yaml"), households: households, now: TestSchool.start)
        }
        let loaded = try ConfigurationLoader(commandLine: [.schools: directory.path("schools"), .conversations: Repository.conversations.path,
                                                           .locales: Repository.locales.path], environment: [:]).load()
        var logger = Logger(label: "board")
        logger.logLevel = .critical
        schools = try Board.load(loaded).runtimes(clock: ManualClock(TestSchool.start), logger: logger)
        for (school, runtime) in schools {
            _ = try RosterImporter.importFile(path: directory.path("schools/\(school.id)/roster.csv"), school: runtime.school, database: runtime.database)
        }
    }

    func runtime(_ id: String) throws -> Runtime { try #require(schools.first { $0.school.id == id }?.runtime) }

    /// The board's HTTP server on 127.0.0.1 while `body` runs.
    func withLiveServer(_ body: @escaping @Sendable (_ port: Int) async throws -> Void) async throws {
        var logger = Logger(label: "board")
        logger.logLevel = .critical
        let routes = try schools.map { school, runtime in
            BoardRoute(id: school.id, hostName: school.hostName, runtime: runtime,
                       router: try buildSchoolRouter(runtime, logger: logger, pollTimeout: .milliseconds(300)))
        }
        let app = buildBoardApplication(routes, host: "127.0.0.1", port: 0, logger: logger)
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }
}

/// Requests to the board's port with one school's host name, as a browser on that school's address sends them.
func withSchoolClient(port: Int, host: String, _ body: (SchoolClient) async throws -> Void) async throws {
    let client = TestClient(host: "127.0.0.1", port: port)
    client.connect()
    do {
        try await body(SchoolClient(client: client, host: host))
    } catch {
        try? await client.shutdown()
        throw error
    }
    try await client.shutdown()
}

struct SchoolClient: Sendable {
    let client: TestClient
    let host: String

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws
        -> (status: HTTPResponse.Status, body: ByteBuffer) {
        let response = try await client.execute(TestClient.Request(uri, method: method, authority: host, headers: headers, body: body))
        return (response.status, response.body ?? ByteBuffer())
    }

    func postStaffLogin(_ email: String, _ password: String) async throws -> HTTPResponse.Status {
        try await execute(uri: "/staff/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                          body: ByteBuffer(string: "email=\(email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&password=\(password)")).status
    }

    func browser(code: String) -> WebChatBrowser {
        WebChatBrowser(exchange: { uri, method, headers, body in try await execute(uri: uri, method: method, headers: headers, body: body) }, code: code)
    }
}
