import Conversations
import Crypto
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Mustache
import SamenspraakCore
import Storage

/// The staff pages: log in with an e-mail address and password (bcrypt), a session in a secure cookie, then pages
/// per role. Office (and director): everything. Teachers: their own groups. Care coordinators: agreements and buddies.
/// Login attempts are limited per address; every page checks the session and the role. Dutch first, English on request.
/// Forms need no JavaScript; the cookie is SameSite=Strict, so another site cannot post them on someone's behalf.
public struct StaffPages: Sendable {
    let service: ConversationService
    let library: MustacheLibrary
    /// Page texts per language (`Templates/texts.json`).
    let texts: [String: [String: String]]
    let limiter = AttemptLimiter()
    /// Cookies get `Secure` when the daemon is reached over HTTPS.
    let secureCookies: Bool
    static let cookie = "samenspraak_staff"
    static let languageCookie = "samenspraak_staff_language"
    static let sessionLength: TimeInterval = 12 * 3600
    static let templates = ["header", "footer", "login", "message", "coverage", "group", "talk", "agenda", "agreements", "buddies", "deliveries", "household",
                            "round", "round_talk"]

    public init(service: ConversationService, publicURL: String) throws {
        self.service = service
        self.secureCookies = publicURL.hasPrefix("https://")
        func resource(_ name: String, _ type: String) throws -> Data {
            guard let url = Bundle.module.url(forResource: name, withExtension: type, subdirectory: "Templates") else {
                throw ChatError(.internalServerError, "staff page file \(name).\(type) is missing from the build")
            }
            return try Data(contentsOf: url)
        }
        var templates: [String: MustacheTemplate] = [:]
        for name in Self.templates {
            templates[name] = try MustacheTemplate(string: String(decoding: try resource(name, "mustache"), as: UTF8.self))
        }
        library = MustacheLibrary(templates: templates)
        texts = try JSONDecoder().decode([String: [String: String]].self, from: try resource("texts", "json"))
    }

    public func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/staff/login") { request, _ in page("login", ["school": service.school.name, "t": texts(request)]) }
        router.post("/staff/login", use: logIn)
        router.post("/staff/logout", use: logOut)
        router.get("/staff/language/:language", use: chooseLanguage)
        router.get("/staff", use: signedIn(coverage))
        router.post("/staff/groups/:group/nudge", use: signedIn(nudge))
        router.get("/staff/groups/:group", use: signedIn(group))
        router.get("/staff/talks/:talk", use: signedIn(talk))
        router.post("/staff/talks/:talk/move", use: signedIn(move))
        router.post("/staff/talks/:talk/cancel", use: signedIn(cancel))
        router.get("/staff/round", use: signedIn(round))
        router.post("/staff/round/plan", use: signedIn(planRound))
        router.get("/staff/round/talk", use: signedIn(roundTalk))
        router.post("/staff/round/pin", use: signedIn(pinRoundTalk))
        router.post("/staff/round/swap", use: signedIn(swapRoundTalks))
        router.post("/staff/round/publish", use: signedIn(publishRound))
        router.get("/staff/agenda", use: signedIn(agenda))
        router.get("/staff/agreements", use: signedIn(agreements))
        router.get("/staff/buddies", use: signedIn(buddies))
        router.post("/staff/buddies/flag", use: signedIn(flagBuddyNeed))
        router.get("/staff/deliveries", use: signedIn(deliveries))
        router.get("/staff/households", use: signedIn(household))
        router.get("/staff/households/:household/export", use: signedIn(export))
        router.post("/staff/households/:household/erase", use: signedIn(erase))
    }

    // MARK: - Session

    struct LoginForm: Decodable {
        var email: String
        var password: String
    }

    @Sendable func logIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let t = texts(request)
        func refuse(_ key: String, _ status: HTTPResponse.Status, email: String? = nil) -> Response {
            page("login", ["school": service.school.name, "t": t, "email": email ?? "", "error": t[key] ?? key], status: status)
        }
        guard !(await limiter.isBlocked(context.peer)) else { return refuse("too_many_attempts", .tooManyRequests) }
        let body = try await request.body.collect(upTo: 8 * 1024)
        guard let form = try? URLEncodedFormDecoder().decode(LoginForm.self, from: String(buffer: body)) else { return refuse("fill_in", .badRequest) }
        let account = try await service.database.read { try $0.staffAccount(email: form.email) }
        // Without an account the hash is still checked, so the time taken does not tell which addresses exist.
        let matches = Bcrypt.verify(form.password, hash: account?.passwordHash ?? Self.unusedHash)
        guard let account, let accountID = account.id, matches else {
            await limiter.recordFailure(context.peer)
            return refuse("wrong_login", .unauthorized, email: form.email)
        }
        let token = Self.newToken()
        let now = Date()
        try await service.database.write { tx in
            try tx.openStaffSession(tokenHash: Self.hash(token), accountID: accountID, at: now, until: now + Self.sessionLength)
            try tx.audit(actor: account.email, action: "log in", at: now)
        }
        var response = Response(status: .seeOther, headers: [.location: "/staff"])
        response.headers[.setCookie] = cookie(Self.cookie, token, maxAge: Int(Self.sessionLength))
        return response
    }

    @Sendable func logOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = request.cookies[Self.cookie]?.value {
            try await service.database.write { try $0.closeStaffSession(tokenHash: Self.hash(token)) }
        }
        var response = Response(status: .seeOther, headers: [.location: "/staff/login"])
        response.headers[.setCookie] = cookie(Self.cookie, "", maxAge: 0)
        return response
    }

    /// Remembers the page language (a year) and goes back to the start page.
    @Sendable func chooseLanguage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let language = context.parameters.get("language") ?? "nl"
        guard texts[language] != nil else { throw HTTPError(.notFound, message: "The staff pages are in Dutch (nl) and English (en).") }
        var response = Response(status: .seeOther, headers: [.location: "/staff"])
        response.headers[.setCookie] = cookie(Self.languageCookie, language, maxAge: 365 * 24 * 3600)
        return response
    }

    func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/staff; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)" + (secureCookies ? "; Secure" : "")
    }

    /// The signed-in person looking at a page: their account, what their role lets them see, and the page texts.
    struct Viewer {
        let account: StaffAccountRecord
        let t: [String: String]
        /// The groups whose children's data this person may see.
        let groups: Set<String>

        var isOffice: Bool { account.role == "office" }
        /// Agreements and buddies are the care coordinator's work too.
        var seesCare: Bool { account.role == "office" || account.role == "care" }
        var teacherID: String? { account.role == "teacher" ? account.teacherID : nil }

        func text(_ key: String, _ values: [String: String] = [:]) -> String {
            values.reduce(t[key] ?? key) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
        }
    }

    typealias Handler = @Sendable (Request, AppRequestContext, Viewer) async throws -> Response

    /// Runs `handler` for a signed-in person; anyone else goes to the login page (also with an expired or tampered cookie).
    func signedIn(_ handler: @escaping Handler) -> @Sendable (Request, AppRequestContext) async throws -> Response {
        { request, context in
            guard let token = request.cookies[Self.cookie]?.value, !token.isEmpty,
                  let account = try await service.database.read({ try $0.staffAccount(sessionTokenHash: Self.hash(token), at: Date()) })
            else { return Response(status: .seeOther, headers: [.location: "/staff/login"]) }
            let school = service.school
            let groups = switch account.role {
            case "teacher": Set(account.teacherID.map { school.groups(ofTeacher: $0) }?.map(\.id) ?? [])
            case "office": Set(school.groups.map(\.id))
            default: Set<String>()  // care: agreements and buddies, no talks
            }
            return try await handler(request, context, Viewer(account: account, t: texts(request), groups: groups))
        }
    }

    func texts(_ request: Request) -> [String: String] {
        texts[request.cookies[Self.languageCookie]?.value ?? "nl"] ?? texts["nl"] ?? [:]
    }

    // MARK: - Rendering

    /// A signed-in page: the header's values (school, name, the navigation the role allows) and the page's own.
    func page(_ name: String, _ viewer: Viewer, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let base: [String: Any] = [
            "school": service.school.name, "name": viewer.account.name, "t": viewer.t, "office": viewer.isOffice, "care": viewer.seesCare,
            "navTalks": !viewer.groups.isEmpty, "navRound": !viewer.groups.isEmpty && service.school.booking.round == .preferenceRound,
            "otherLanguage": viewer.t["lang"] == "en" ? "nl" : "en",
            "otherLanguageName": viewer.t["lang"] == "en" ? "Nederlands" : "English",
        ]
        return page(name, base.merging(values) { _, own in own }, status: status)
    }

    func page(_ name: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(values, withTemplate: name) ?? ""
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page that only says something: a refusal (403, 404) or what just happened.
    func message(_ viewer: Viewer, _ key: String, status: HTTPResponse.Status) -> Response {
        page("message", viewer, ["message": viewer.text(key)], status: status)
    }

    func forbidden(_ viewer: Viewer) -> Response { message(viewer, "forbidden", status: .forbidden) }

    func redirect(_ location: String) -> Response { Response(status: .seeOther, headers: [.location: location]) }

    /// A date as the page's language writes it ("maandag 8 september 15:20").
    func moment(_ date: Date, _ viewer: Viewer) -> (day: String, time: String) {
        let language = viewer.t["lang"] ?? "nl"
        return (service.localizer.format(.day(date), language: language), service.localizer.format(.time(date), language: language))
    }

    /// A date and time as one text ("maandag 8 september 15:20").
    func dayAndTime(_ date: Date, _ viewer: Viewer) -> String {
        let (day, time) = moment(date, viewer)
        return "\(day) \(time)"
    }

    /// A teacher's name from the school file (the id when the file no longer has them).
    func teacherName(_ id: String) -> String { service.school.teacher(id)?.name ?? id }

    /// The form fields of a POST body (at most 8 KB).
    func form<Form: Decodable>(_ type: Form.Type, _ request: Request) async throws -> Form? {
        let body = try await request.body.collect(upTo: 8 * 1024)
        return try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
    }

    // MARK: - Accounts

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
