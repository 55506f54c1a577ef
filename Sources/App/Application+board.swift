import Foundation
import Hummingbird
import HTTPServer
import Logging

/// One school of a board as the HTTP server sees it: its host name and its routes.
public struct BoardRoute: Sendable {
    public let id: String
    public let hostName: String
    public let runtime: Runtime
    let responder: RouterResponder<AppRequestContext>

    public init(id: String, hostName: String, runtime: Runtime, router: Router<AppRequestContext>) {
        self.id = id
        self.hostName = hostName
        self.runtime = runtime
        responder = router.buildResponder()
    }
}

/// A school board's HTTP server: one port for all its schools, each request handed to the school of its Host header.
public func buildBoardApplication(_ routes: [BoardRoute], host: String, port: Int, logger: Logger,
                                  onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    Application(
        responder: SchoolsByHost(routes),
        configuration: .init(address: .hostname(host, port: port), serverName: "samenspraak"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger)
}

/// Hands a request to the school whose host name it was sent to. A request for no school's host gets 404, so nothing
/// of one school can be reached through another's address; only `/healthz` answers there, for the load balancer,
/// which checks an instance by its IP address: 200 when every school's database answers.
struct SchoolsByHost: HTTPResponder {
    typealias Context = AppRequestContext
    let schools: [String: BoardRoute]

    init(_ routes: [BoardRoute]) {
        schools = Dictionary(routes.map { ($0.hostName, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        if let authority = request.head.authority, let school = schools[Self.hostName(authority)] {
            var context = context
            context.logger[metadataKey: "school"] = "\(school.id)"
            return try await school.responder.respond(to: request, context: context)
        }
        if request.method == .get, request.uri.path == "/healthz" { return await health() }
        return try ChatError(.notFound, "No school is served at this address. Please open the link from your invitation letter.")
            .response(from: request, context: context)
    }

    /// The host name of a Host header, lower case and without its port ("Klimop.example.nl:443", "[::1]:8080").
    static func hostName(_ authority: String) -> String {
        var host = Substring(authority.lowercased())
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            return String(host[host.index(after: host.startIndex)..<end])
        }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        return String(host)
    }

    private func health() async -> Response {
        var failing: [String] = []
        for school in schools.values.sorted(by: { $0.id < $1.id }) {
            do { _ = try await school.runtime.database.read { tx in try tx.householdCount() } } catch { failing.append(school.id) }
        }
        let text = failing.isEmpty ? "ok: \(schools.count) schools\n" : "not ok: no database for \(failing.joined(separator: ", "))\n"
        return Response(status: failing.isEmpty ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
