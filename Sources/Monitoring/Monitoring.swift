import CoreMetrics
import SamenspraakCore

/// Why a platform did not take a message, as the channels sort their errors (`DeliveryFailure` in ChannelKit).
public enum SendFailure: String, Sendable, CaseIterable {
    case rateLimited = "rate_limited"
    case blocked
    case rejected
    case unavailable
}

/// The daemon's counters and timings as swift-metrics instruments, made once when the runtime is loaded so that a
/// conversation step only increments a counter and records a duration. Labels are channel names and failure
/// reasons only: nothing about a person (no names, numbers, chat ids or invite codes) ever becomes a label.
/// The factory is passed in rather than taken from the global `MetricsSystem`, so every runtime (several in one test
/// process) has instruments of its own.
public final class Monitoring: Sendable {
    /// The step-duration histogram's name, for the factory's bucket boundaries.
    public static let stepDurationLabel = "samenspraak_step_duration_seconds"

    /// Each channel's last successful contact, for /healthz.
    public let activity = ChannelActivity()
    private let received: PerChannel<Counter>
    private let sent: PerChannel<Counter>
    private let outboxPending: PerChannel<Gauge>
    private let sendFailures: PerChannel<[SendFailure: Counter]>
    private let schedulerLag: Gauge
    private let databaseReachable: Gauge
    private let stepDuration: Timer

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        received = PerChannel { Counter(label: "samenspraak_messages_received_total", dimensions: [("channel", $0.rawValue)], factory: factory) }
        sent = PerChannel { Counter(label: "samenspraak_messages_sent_total", dimensions: [("channel", $0.rawValue)], factory: factory) }
        outboxPending = PerChannel { Gauge(label: "samenspraak_outbox_pending", dimensions: [("channel", $0.rawValue)], factory: factory) }
        // Only the platforms' sends can fail; the web chat's browser fetches its messages.
        sendFailures = PerChannel { channel in
            guard ChannelActivity.Contact.send(on: channel) != nil else { return [:] }
            return Dictionary(uniqueKeysWithValues: SendFailure.allCases.map { reason in
                (reason, Counter(label: "samenspraak_send_failures_total", dimensions: [("channel", channel.rawValue), ("reason", reason.rawValue)],
                                 factory: factory))
            })
        }
        schedulerLag = Gauge(label: "samenspraak_scheduler_lag_seconds", factory: factory)
        databaseReachable = Gauge(label: "samenspraak_database_reachable", factory: factory)
        stepDuration = Timer(label: Self.stepDurationLabel, factory: factory)
    }

    /// A message arrived on `channel` (before it is handled, so duplicates and strangers count too).
    public func received(on channel: ChannelKind) { received[channel].increment() }

    /// One conversation step (`ConversationService.handle`) took `duration`, from arrival to its replies committed.
    public func stepTook(_ duration: Duration) {
        stepDuration.recordNanoseconds(duration.wholeNanoseconds)
    }

    /// `count` messages were handed to `channel` (a platform send that succeeded, a web chat poll that fetched them).
    public func sent(_ count: Int = 1, on channel: ChannelKind) {
        if count > 0 { sent[channel].increment(by: count) }
    }

    /// A send on `channel` failed for `reason` (a retried message counts each time).
    public func sendFailed(_ reason: SendFailure, on channel: ChannelKind) { sendFailures[channel][reason]?.increment() }

    /// What the database said when last asked (by /metrics or /healthz): pending outbox rows per channel and the
    /// scheduler's lag; `nil` when it could not be read.
    public func observe(pendingOutbox: [ChannelKind: Int]?, schedulerLag lag: Double?) {
        databaseReachable.record(pendingOutbox == nil ? 0 : 1)
        if let pendingOutbox {
            for channel in ChannelKind.allCases { outboxPending[channel].record(pendingOutbox[channel] ?? 0) }
        }
        if let lag { schedulerLag.record(lag) }
    }
}

/// One value per channel, looked up without hashing (the hot path's counter increment).
struct PerChannel<Value: Sendable>: Sendable {
    let webchat: Value
    let terminal: Value
    let telegram: Value
    let whatsapp: Value
    let sms: Value
    let matrix: Value

    init(_ make: (ChannelKind) -> Value) {
        webchat = make(.webchat)
        terminal = make(.terminal)
        telegram = make(.telegram)
        whatsapp = make(.whatsapp)
        sms = make(.sms)
        matrix = make(.matrix)
    }

    subscript(channel: ChannelKind) -> Value {
        switch channel {
        case .webchat: webchat
        case .terminal: terminal
        case .telegram: telegram
        case .whatsapp: whatsapp
        case .sms: sms
        case .matrix: matrix
        }
    }
}
