import Monitoring
import SamenspraakCore
import Storage

/// Why a platform did not take a message, sorted by what the outbox sender should do about it.
public enum DeliveryFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// Too many messages: try again after `retryAfter` (when the platform says how long), else after a backoff that
    /// grows with the attempts. `.channel` pauses every send of the channel; `.recipient` only this person's.
    case rateLimited(retryAfter: Duration?, scope: RateLimitScope, reason: String)
    /// The person blocked us: mark them unreachable, do not try again.
    case blocked(String)
    /// The request itself is wrong; trying again would fail the same way. Staff see the reason.
    case rejected(String)
    /// 5xx, a timeout or a network error: try again later, up to the attempts allowed.
    case unavailable(String)

    public enum RateLimitScope: Sendable, Equatable {
        case channel, recipient
    }

    public var description: String {
        switch self {
        case .rateLimited(let wait, _, let reason): wait.map { "rate limited for \($0.components.seconds) s: \(reason)" } ?? "rate limited: \(reason)"
        case .blocked(let reason): "blocked: \(reason)"
        case .rejected(let reason): "rejected: \(reason)"
        case .unavailable(let reason): "unavailable: \(reason)"
        }
    }

    /// The reason as the metrics name it.
    public var failure: SendFailure {
        switch self {
        case .rateLimited: .rateLimited
        case .blocked: .blocked
        case .rejected: .rejected
        case .unavailable: .unavailable
        }
    }
}

/// What sending one outbox row came to.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Accepted by the platform, which gave the message this id; `template` when it went as an approved template.
    case sent(platformMessageID: String, template: String? = nil)
    case failed(DeliveryFailure)
    /// The row's payload is not an `OutboundMessage` (found by the sender; a transport is not asked).
    case unreadable
}

/// One platform's way of sending a row; the `OutboxSender` does the claiming, ordering, pacing and retrying.
public protocol OutboxTransport: Sendable {
    /// `message`: the row's payload, read once by the sender (or known already, for a reply sent at once).
    func send(_ row: OutboxRecord, _ message: OutboundMessage) async -> DeliveryOutcome
    /// Whether the platform takes a row at most once however often it is sent (an idempotency key made of the row):
    /// then a row a crash interrupted is sent again rather than failed.
    static var isIdempotent: Bool { get }
    /// Whether the platform reports a message's fate in callbacks of its own (WhatsApp's statuses, Twilio's status
    /// callback), which may come before the send's answer and then wait for the row (`earlyDeliveryReport`).
    static var reportsDelivery: Bool { get }
}

extension OutboxTransport {
    public static var isIdempotent: Bool { false }
    public static var reportsDelivery: Bool { false }
}
