import Conversations
import Foundation
import Hummingbird
import SamenspraakCore
import Storage

/// The staff JSON API: record, read, change and cancel a child's agreements; plan, move and cancel receptions and see
/// the answers; list the follow-ups teachers have not done yet, and the startgesprekken booked and held per group. Every request carries `Authorization: Bearer <SAMENSPRAAK_STAFF_TOKEN>`;
/// without a configured token the API is off.
public struct StaffAPIController: Sendable {
    let service: ConversationService
    let token: String?
    let limiter = AttemptLimiter()

    public init(service: ConversationService, token: String?) {
        self.service = service
        self.token = token
    }

    public func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/agreements", use: create)
        router.get("/api/agreements", use: list)
        router.get("/api/agreements/:id", use: show)
        router.put("/api/agreements/:id", use: change)
        router.delete("/api/agreements/:id", use: cancel)
        router.get("/api/follow-ups/overdue", use: overdue)
        router.get("/api/receptions") { request, context in
            try await authorise(request, context)
            return WebChatController.json(try await service.receptionOverview())
        }
        router.post("/api/receptions") { request, context in
            try await authorise(request, context)
            return try await reply(to: try await service.saveReception(try await decodeReception(request)), status: .created)
        }
        router.put("/api/receptions/:id") { request, context in
            try await authorise(request, context)
            let id = try receptionID(context)
            return try await reply(to: try await service.saveReception(try await decodeReception(request), id: id), status: .ok)
        }
        router.delete("/api/receptions/:id") { request, context in
            try await authorise(request, context)
            guard try await service.cancelReception(id: try receptionID(context)) else { throw ChatError(.notFound, "There is no such reception (or it was cancelled).") }
            return Response(status: .noContent)
        }
        router.post("/api/buddy-needs", use: flagBuddyNeed)
        router.get("/api/coverage") { request, context in
            try await authorise(request, context)
            return WebChatController.json(try await service.coverage())
        }
    }

    /// An agreement as the API shows it: what was written, the school days it falls on, and what parents said.
    struct AgreementJSON: Encodable {
        struct Response: Encodable { var household: String; var matches: Bool; var comment: String? }
        struct CheckIn: Encodable { var household: String; var day: String; var answer: String; var comment: String? }
        var id: Int64
        var child: String
        var teacher: String
        var who: String
        var what: String
        var why: String
        var when: String
        var how: String
        var checkIn: String?
        var evaluation: Bool
        var days: [String]
        var createdAt: Date
        var updatedAt: Date
        var cancelled: Bool
        var responses: [Response]
        var checkIns: [CheckIn]

        enum CodingKeys: String, CodingKey {
            case id, child, teacher, who, what, why, when, how, checkIn = "check_in", evaluation, days, createdAt = "created_at",
                 updatedAt = "updated_at", cancelled, responses, checkIns = "check_ins"
        }
    }

    struct FollowUpJSON: Encodable {
        var agreement: Int64
        var child: String
        var teacher: String
        var day: String
        var what: String
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await authorise(request, context)
        let draft = try await decodeDraft(request)
        switch try await service.saveAgreement(draft) {
        case .success(let record):
            try await audit("record agreement \(record.id ?? 0)", subject: "child \(record.childID)")
            return WebChatController.json(try await json(record.id ?? 0), status: .created)
        case .failure(let problem): throw error(problem)
        }
    }

    /// A teacher or the care coordinator flags that a household could use a buddy, after the startgesprek:
    /// `{"household": "H00012", "situation": "learning", "teacher": "t-jansen"}`. The parent is asked first.
    @Sendable func flagBuddyNeed(_ request: Request, context: AppRequestContext) async throws -> Response {
        struct Flag: Decodable { var household: String; var situation: String; var teacher: String? }
        try await authorise(request, context)
        let flag = try await decode(Flag.self, request, expecting: "'household' and 'situation' (and optionally 'teacher')")
        if let teacher = flag.teacher, service.school.teacher(teacher) == nil { throw ChatError(.unprocessableContent, "There is no teacher '\(teacher)' in the school file.") }
        let source = flag.teacher.map { "teacher:\($0)" } ?? "staff:api"
        switch try await service.flagBuddyNeed(household: flag.household, situation: flag.situation, source: source) {
        case .asked:
            try await audit("flag buddy need", subject: "household \(flag.household)")
            return WebChatController.json(["status": "asked"], status: .created)
        case .alreadyOpen: throw ChatError(.conflict, "This household already has an open buddy request, or a buddy.")
        case .noSuchHousehold: throw ChatError(.notFound, "There is no household '\(flag.household)'.")
        case .unreachable: throw ChatError(.unprocessableContent, "This household has no chat Samenspraak can write to; ask them in person.")
        case .unknownSituation:
            throw ChatError(.unprocessableContent, "'situation' must be one of: " + BuddySituation.allCases.map(\.rawValue).joined(separator: ", ") + ".")
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await authorise(request, context)
        guard let child = request.uri.queryParameters.get("child") else { throw ChatError(.badRequest, "Say whose agreements: ?child=<child id>.") }
        try await audit("read agreements", subject: "child \(child)")
        let ids = try await service.database.read { try $0.agreements(child: child).compactMap(\.id) }
        var result: [AgreementJSON] = []
        for id in ids { result.append(try await json(id)) }
        return WebChatController.json(result)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await authorise(request, context)
        return WebChatController.json(try await json(try id(context)))
    }

    @Sendable func change(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await authorise(request, context)
        let id = try id(context)
        let draft = try await decodeDraft(request)
        switch try await service.saveAgreement(draft, id: id) {
        case .success: return WebChatController.json(try await json(id))
        case .failure(let problem): throw error(problem)
        }
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await authorise(request, context)
        guard try await service.cancelAgreement(id: try id(context)) else { throw ChatError(.notFound, "There is no such agreement (or it was cancelled).") }
        return Response(status: .noContent)
    }

    @Sendable func overdue(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await authorise(request, context)
        let teacher = request.uri.queryParameters.get("teacher").map { String($0) }
        let today = SchoolDay(service.clock.now(), in: service.school.calendar).description
        let rows = try await service.database.read { try $0.overdueFollowUps(teacher: teacher, before: today) }
        return WebChatController.json(rows.map {
            FollowUpJSON(agreement: $0.agreement.id ?? 0, child: $0.agreement.childID, teacher: $0.agreement.teacherID, day: $0.followUp.day, what: $0.agreement.what)
        })
    }

    // MARK: - Helpers

    func authorise(_ request: Request, _ context: AppRequestContext) async throws {
        guard let token else { throw ChatError(.serviceUnavailable, "The staff API is off: start the daemon with SAMENSPRAAK_STAFF_TOKEN set.") }
        guard !(await limiter.isBlocked(context.peer)) else { throw ChatError(.tooManyRequests, "Too many wrong tokens; try again later.") }
        let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let given, Self.equalInConstantTime(given, token) else {
            await limiter.recordFailure(context.peer)
            throw ChatError(.unauthorized, "Send the staff token as 'Authorization: Bearer <token>'.")
        }
    }

    /// Compares without stopping at the first difference, so the time taken does not reveal how much of a guess was right.
    static func equalInConstantTime(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Who used the API is known only as "api" (one token for the school); what and about whom is recorded.
    func audit(_ action: String, subject: String) async throws {
        let now = service.clock.now()
        try await service.database.write { try $0.audit(actor: "api", action: action, subject: subject, at: now) }
    }

    func id(_ context: AppRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text) else { throw ChatError(.badRequest, "The agreement id must be a number.") }
        return id
    }

    func decodeDraft(_ request: Request) async throws -> AgreementDraft {
        try await decode(AgreementDraft.self, request,
                         expecting: "'child', 'teacher', 'who', 'what', 'why', 'when' and 'how' (and optionally 'check_in', 'evaluation')")
    }

    func decodeReception(_ request: Request) async throws -> ReceptionDraft {
        try await decode(ReceptionDraft.self, request, expecting: "'group', 'date', 'from' and 'to' (and optionally 'place', 'note')")
    }

    /// The request's JSON body; 400 naming the fields `expecting` when it is not.
    func decode<Draft: Decodable>(_ type: Draft.Type, _ request: Request, expecting fields: String) async throws -> Draft {
        let body = try await request.body.collect(upTo: 64 * 1024)
        do { return try JSONDecoder().decode(type, from: Data(body.readableBytesView)) } catch {
            throw ChatError(.badRequest, "The body must be JSON with \(fields).")
        }
    }

    func receptionID(_ context: AppRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty, id.count <= 100 else { throw ChatError(.badRequest, "Name the reception by its id.") }
        return id
    }

    /// The reception as the overview shows it, or the reason it was refused.
    func reply(to result: Result<ReceptionRecord, InputProblem>, status: HTTPResponse.Status) async throws -> Response {
        switch result {
        case .success(let record):
            guard let overview = try await service.receptionOverview().first(where: { $0.id == record.id }) else { throw ChatError(.notFound, "The reception is gone.") }
            return WebChatController.json(overview, status: status)
        case .failure(let problem):
            throw error(problem)
        }
    }

    func error(_ problem: InputProblem) -> ChatError {
        ChatError(problem.kind == .notFound ? .notFound : .unprocessableContent, problem.description)
    }

    func json(_ id: Int64) async throws -> AgreementJSON {
        let school = service.school
        let today = SchoolDay(service.clock.now(), in: school.calendar)
        guard let result = try await service.database.read({ tx -> AgreementJSON? in
            guard let record = try tx.agreement(id: id) else { return nil }
            func key(_ household: Int64) throws -> String { try tx.household(id: household)?.key ?? String(household) }
            let days = (try? AgreedMoments.parse(record.moments, year: school.year).get())?.days(from: today, in: school.year) ?? []
            return AgreementJSON(
                id: id, child: record.childID, teacher: record.teacherID, who: record.who, what: record.what, why: record.why, when: record.moments,
                how: record.how, checkIn: record.checkIn, evaluation: record.isEvaluation, days: days.map(\.description),
                createdAt: record.createdAt, updatedAt: record.updatedAt, cancelled: record.cancelledAt != nil,
                responses: try tx.responses(agreementID: id).sorted { $0.key < $1.key }.map { .init(household: try key($0.key), matches: $0.value.matches, comment: $0.value.comment) },
                checkIns: try tx.checkInAnswers(agreementID: id).map { .init(household: try key($0.householdID), day: $0.day, answer: $0.answer, comment: $0.comment) })
        }) else { throw ChatError(.notFound, "There is no agreement \(id).") }
        return result
    }
}
