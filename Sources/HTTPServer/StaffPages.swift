import Conversations
import Crypto
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Mustache
import Storage

/// The staff pages: log in with an e-mail address and password (bcrypt), a session in a secure cookie, and the
/// startgesprekken per group. Teachers see their own groups; office and care staff see all. Login attempts are
/// limited per address; every page checks the session.
public struct StaffPages: Sendable {
    let service: ConversationService
    let library: MustacheLibrary
    let limiter = AttemptLimiter()
    /// Cookies get `Secure` when the daemon is reached over HTTPS.
    let secureCookies: Bool
    static let cookie = "samenspraak_staff"
    static let sessionLength: TimeInterval = 12 * 3600

    public init(service: ConversationService, publicURL: String) throws {
        self.service = service
        self.secureCookies = publicURL.hasPrefix("https://")
        var templates: [String: MustacheTemplate] = [:]
        for name in ["login", "coverage", "deliveries"] {
            guard let url = Bundle.module.url(forResource: name, withExtension: "mustache", subdirectory: "Templates") else {
                throw ChatError(.internalServerError, "staff page template \(name) is missing from the build")
            }
            templates[name] = try MustacheTemplate(string: String(decoding: try Data(contentsOf: url), as: UTF8.self))
        }
        library = MustacheLibrary(templates: templates)
    }

    public func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/staff/login") { _, _ in page("login", ["school": service.school.name]) }
        router.post("/staff/login", use: logIn)
        router.post("/staff/logout", use: logOut)
        router.get("/staff", use: coverage)
        router.get("/staff/deliveries", use: deliveries)
    }

    struct LoginForm: Decodable {
        var email: String
        var password: String
    }

    @Sendable func logIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard !(await limiter.isBlocked(context.peer)) else {
            return page("login", ["school": service.school.name, "error": "Te veel pogingen. Probeer het over tien minuten opnieuw."], status: .tooManyRequests)
        }
        let body = try await request.body.collect(upTo: 8 * 1024)
        guard let form = try? URLEncodedFormDecoder().decode(LoginForm.self, from: String(buffer: body)) else {
            return page("login", ["school": service.school.name, "error": "Vul uw e-mailadres en wachtwoord in."], status: .badRequest)
        }
        let account = try await service.database.read { try $0.staffAccount(email: form.email) }
        // Without an account the hash is still checked, so the time taken does not tell which addresses exist.
        let matches = Bcrypt.verify(form.password, hash: account?.passwordHash ?? Self.unusedHash)
        guard let account, let accountID = account.id, matches else {
            await limiter.recordFailure(context.peer)
            return page("login", ["school": service.school.name, "email": form.email, "error": "Het e-mailadres of het wachtwoord klopt niet."],
                        status: .unauthorized)
        }
        let token = Self.newToken()
        let now = Date()
        try await service.database.write { tx in
            try tx.openStaffSession(tokenHash: Self.hash(token), accountID: accountID, at: now, until: now + Self.sessionLength)
            try tx.audit(actor: account.email, action: "log in", at: now)
        }
        var response = Response(status: .seeOther, headers: [.location: "/staff"])
        response.headers[.setCookie] = "\(Self.cookie)=\(token); Path=/staff; HttpOnly; SameSite=Strict; Max-Age=\(Int(Self.sessionLength))"
            + (secureCookies ? "; Secure" : "")
        return response
    }

    @Sendable func logOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = request.cookies[Self.cookie]?.value {
            try await service.database.write { try $0.closeStaffSession(tokenHash: Self.hash(token)) }
        }
        var response = Response(status: .seeOther, headers: [.location: "/staff/login"])
        response.headers[.setCookie] = "\(Self.cookie)=; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=0"
        return response
    }

    @Sendable func coverage(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let account = try await signedIn(request) else { return Response(status: .seeOther, headers: [.location: "/staff/login"]) }
        let school = service.school
        let visible = account.role == "teacher"
            ? Set(account.teacherID.map { school.groups(ofTeacher: $0) }?.map(\.id) ?? [])
            : Set(school.groups.map(\.id))
        let rows = try await service.coverage().filter { visible.contains($0.group) }.map { row -> [String: Any] in
            ["name": row.name, "children": row.children, "booked": row.booked, "held": row.held, "notBooked": row.notBooked,
             "overdue": row.overdueFollowUps]
        }
        return page("coverage", ["school": school.name, "name": account.name, "groups": rows, "office": account.role == "office"])
    }

    /// Contacts who blocked the chat and messages given up on, with the reason: for the office to reach them otherwise.
    @Sendable func deliveries(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let account = try await signedIn(request) else { return Response(status: .seeOther, headers: [.location: "/staff/login"]) }
        guard account.role == "office" else { return page("login", ["school": service.school.name, "error": "Deze pagina is voor de administratie."], status: .forbidden) }
        let (failed, unreachable) = try await service.database.read { tx in (try tx.failedDeliveries(), try tx.unreachableContacts()) }
        let calendar = service.school.calendar
        func moment(_ date: Date) -> String { "\(calendar.dayKey(date)) \(calendar.clockTime(date))" }
        let now = service.clock.now()
        try await service.database.write { try $0.audit(actor: account.email, action: "view deliveries", at: now) }
        return page("deliveries", [
            "school": service.school.name, "name": account.name,
            "unreachable": unreachable.map { ["household": $0.household, "channel": $0.channel, "since": moment($0.since)] as [String: Any] },
            "failed": failed.map { ["household": $0.household, "channel": $0.channel, "at": moment($0.createdAt), "attempts": $0.attempts, "reason": $0.reason] as [String: Any] },
        ])
    }

    /// The account of the request's session cookie, if the session is open.
    func signedIn(_ request: Request) async throws -> StaffAccountRecord? {
        guard let token = request.cookies[Self.cookie]?.value, !token.isEmpty else { return nil }
        let now = Date()
        return try await service.database.read { try $0.staffAccount(sessionTokenHash: Self.hash(token), at: now) }
    }

    func page(_ name: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(values, withTemplate: name) ?? ""
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A bcrypt hash of no password anyone has, checked when the e-mail address is unknown.
    static let unusedHash = Bcrypt.hash(newToken(), cost: 12)

    /// 256 random bits, hex: a session cookie.
    static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", rng.next() as UInt64) }.joined()
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Creates a staff account (or gives an existing one a new password and role); the password is stored as a bcrypt hash.
    /// (`cost` is lowered only by tests: checking a hash takes 2^cost rounds.)
    public static func saveAccount(email: String, name: String, role: String, teacherID: String?, password: String,
                                   database: AppDatabase, cost: UInt8 = 12) throws -> StaffAccountRecord {
        let hash = Bcrypt.hash(password, cost: cost)
        return try database.writeNow { tx in
            try tx.saveStaffAccount(StaffAccountRecord(email: email, name: name, role: role, teacherID: teacherID, passwordHash: hash, createdAt: Date()))
        }
    }
}
