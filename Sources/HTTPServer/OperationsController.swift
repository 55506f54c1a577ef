import Conversations
import Foundation
import Hummingbird
import Monitoring
import Prometheus
import SamenspraakCore

/// `/healthz` (JSON: the database read, each channel's last successful contact, outbox depth, scheduler lag;
/// 503 when the database cannot be read, or no longer written because its disk failed) and `/metrics` (Prometheus
/// text format) for whoever runs the daemon.
/// Both are cheap enough to poll: one read of two index-only counts, no writes.
/// With a token, `/metrics` needs `Authorization: Bearer <token>` (401 otherwise) and `/healthz` shows only its status
/// without it: a load balancer's check keeps working, the details (how busy the school is) are for the monitoring.
public struct OperationsController: Sendable {
    let service: ConversationService
    let registry: PrometheusCollectorRegistry
    /// "polling" or "webhook" when a Telegram bot is configured, nil otherwise.
    let telegramMode: String?
    /// Whether a WhatsApp number is configured.
    let whatsapp: Bool
    /// Whether an SMS provider is configured.
    let sms: Bool
    /// Whether a Matrix bot account is configured.
    let matrix: Bool
    /// SAMENSPRAAK_METRICS_TOKEN; nil: both routes are open.
    let token: String?

    public init(service: ConversationService, registry: PrometheusCollectorRegistry, telegramMode: String?, whatsapp: Bool = false, sms: Bool = false,
                matrix: Bool = false, token: String? = nil) {
        self.service = service
        self.registry = registry
        self.telegramMode = telegramMode
        self.whatsapp = whatsapp
        self.sms = sms
        self.matrix = matrix
        self.token = token
    }

    public func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/healthz") { request, _ in await health(details: isAuthorised(request)) }
        router.get("/metrics") { request, _ in
            guard isAuthorised(request) else {
                let body = Data(#"{"error":"Send the metrics token as 'Authorization: Bearer <token>' (SAMENSPRAAK_METRICS_TOKEN)."}"#.utf8)
                return Response(status: .unauthorized,
                                headers: [.contentType: "application/json; charset=utf-8", .wwwAuthenticate: #"Bearer realm="samenspraak""#],
                                body: .init(byteBuffer: ByteBuffer(bytes: body)))
            }
            return await metrics()
        }
    }

    /// Without a token configured everyone is; with one, only a request that carries it.
    func isAuthorised(_ request: Request) -> Bool {
        guard let token else { return true }
        let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        return given.map { StaffAPIController.equalInConstantTime($0, token) } ?? false
    }

    func health(details: Bool = true) async -> Response {
        let snapshot = await OperationsSnapshot.read(service)
        guard details else {
            return Self.healthResponse(["status": snapshot.error == nil ? "ok" : "unavailable"], ok: snapshot.error == nil)
        }
        let activity = service.monitoring.activity
        var database: [String: Any] = ["reachable": snapshot.error == nil, "readMilliseconds": snapshot.readTime.inMilliseconds]
        if let error = snapshot.error { database["error"] = error }
        var channels: [String: Any] = [ChannelKind.webchat.rawValue: ["lastRequest": Self.moment(activity.last(.webchatRequest))]]
        if let telegramMode {
            channels[ChannelKind.telegram.rawValue] = ["mode": telegramMode, "lastUpdates": Self.moment(activity.last(.telegramUpdates)),
                                                       "lastSend": Self.moment(activity.last(.telegramSend))]
        }
        if whatsapp {
            channels[ChannelKind.whatsapp.rawValue] = ["lastWebhook": Self.moment(activity.last(.whatsappWebhook)),
                                                       "lastSend": Self.moment(activity.last(.whatsappSend))]
        }
        if sms {
            channels[ChannelKind.sms.rawValue] = ["lastWebhook": Self.moment(activity.last(.smsWebhook)), "lastSend": Self.moment(activity.last(.smsSend))]
        }
        if matrix {
            channels[ChannelKind.matrix.rawValue] = ["lastSync": Self.moment(activity.last(.matrixSync)), "lastSend": Self.moment(activity.last(.matrixSend))]
        }
        var body: [String: Any] = ["status": snapshot.error == nil ? "ok" : "unavailable", "database": database, "channels": channels]
        if let pending = snapshot.pendingOutbox, let lag = snapshot.schedulerLag {
            body["outbox"] = ["pending": pending.values.reduce(0, +),
                              "pendingByChannel": Dictionary(uniqueKeysWithValues: pending.map { ($0.key.rawValue, $0.value) })]
            body["scheduler"] = ["lagSeconds": lag]
        }
        return Self.healthResponse(body, ok: snapshot.error == nil)
    }

    static func healthResponse(_ body: [String: Any], ok: Bool) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: ok ? .ok : .serviceUnavailable,
                        headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func metrics() async -> Response {
        _ = await OperationsSnapshot.read(service)  // sets the outbox, lag and database gauges
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        registry.emit(into: &buffer)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }

    /// ISO 8601 in UTC, or JSON null for "not since the daemon started".
    static func moment(_ date: Date?) -> Any {
        guard let date else { return NSNull() }
        return date.formatted(.iso8601)
    }
}
