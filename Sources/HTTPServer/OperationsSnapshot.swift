import Conversations
import Foundation
import SamenspraakCore

/// What /healthz and /metrics report from the database, read in one snapshot with two index-only queries, and
/// handed to the metrics' gauges.
struct OperationsSnapshot: Sendable {
    /// How long the read took; nil fields below mean the database could not be read.
    let readTime: Duration
    let error: String?
    let pendingOutbox: [ChannelKind: Int]?
    /// Now minus the oldest due job's moment (0 when none is overdue): how far the scheduler is behind.
    let schedulerLag: Double?

    static func read(_ service: ConversationService) async -> OperationsSnapshot {
        let started = ContinuousClock.now
        let now = service.clock.now()
        do {
            // Readable but no longer writable (a failed disk sync) is as unavailable as unreadable.
            if let fault = service.database.engine.writeFault { throw fault }
            let (pending, nextDue) = try await service.database.read { tx in (try tx.pendingOutboxCounts(), try tx.nextJobDue()) }
            let pendingOutbox = Dictionary(pending.compactMap { name, count in ChannelKind(rawValue: name).map { ($0, count) } }, uniquingKeysWith: +)
            let lag = nextDue.map { max(0, now.timeIntervalSince($0)) } ?? 0
            let snapshot = OperationsSnapshot(readTime: ContinuousClock.now - started, error: nil, pendingOutbox: pendingOutbox, schedulerLag: lag)
            service.monitoring.observe(pendingOutbox: pendingOutbox, schedulerLag: lag)
            return snapshot
        } catch {
            service.monitoring.observe(pendingOutbox: nil, schedulerLag: nil)
            return OperationsSnapshot(readTime: ContinuousClock.now - started, error: "\(error)", pendingOutbox: nil, schedulerLag: nil)
        }
    }
}
