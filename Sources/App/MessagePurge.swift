import Foundation
import Logging
import SamenspraakCore
import Storage

/// Deletes the conversation messages older than the retention period: every night in the daemon, and with
/// `samenspraak purge`. In small transactions, so conversations go on meanwhile: the single SQLite writer is never
/// held for more than one batch. First the web chat replies no browser fetched within a week are marked expired, so
/// they stop counting as waiting and are deleted with the rest once old enough.
public enum MessagePurge {
    public static let batchSize = 500

    /// Web chat replies queued before this moment and not fetched are given up on.
    public static func unfetchedCutoff(now: Date) -> Date { now.addingTimeInterval(-Double(Retention.unfetchedWebChatDays) * 24 * 3600) }

    /// Expires the unfetched web chat replies and deletes the messages from before `cutoff`, batch by batch, then
    /// records the purge in the audit log.
    public static func run(database: AppDatabase, before cutoff: Date, actor: String, now: Date, batchSize: Int = batchSize) async throws -> MessageCounts {
        var total = MessageCounts()
        let unfetched = unfetchedCutoff(now: now)
        while true {
            let expired = try await database.write { try $0.expireUnfetchedWebChatReplies(before: unfetched, limit: batchSize) }
            total.expired += expired
            if expired < batchSize { break }
        }
        while true {
            let batch = try await database.write { try $0.purgeMessages(before: cutoff, limit: batchSize) }
            total += batch
            if batch.inbox < batchSize && batch.outbox < batchSize { break }
        }
        let subject = "\(total.inbox) received, \(total.outbox) sent from before \(ISO8601DateFormatter().string(from: cutoff)); "
            + "\(total.expired) web chat replies never fetched expired"
        try await database.write { try $0.audit(actor: actor, action: "purge messages", subject: subject, at: now) }
        return total
    }

    /// The daemon's purge, with the archives past `archive_years`: at start, then every night at 03:00 on the school's
    /// clock, until cancelled.
    static func daily(_ runtime: Runtime, logger: Logger) async {
        let clock = runtime.service.clock
        let calendar = runtime.school.calendar
        while !Task.isCancelled {
            let now = clock.now()
            let cutoff = runtime.configuration.retention.cutoff(now: now, school: runtime.school)
            do {
                let deleted = try await run(database: runtime.database, before: cutoff, actor: "retention", now: now)
                logger.info("old messages deleted", metadata: ["received": "\(deleted.inbox)", "sent": "\(deleted.outbox)", "before": "\(cutoff)",
                                                             "expired": "\(deleted.expired)"])
            } catch {
                if Task.isCancelled { return }
                logger.error("deleting old messages failed", metadata: ["error": "\(error)"])
            }
            do {
                let archives = try await ArchivePurge.run(in: runtime.configuration.archiveFolder, years: runtime.configuration.archiveYears,
                                                          database: runtime.database, actor: "retention", now: now, calendar: calendar)
                for archive in archives { logger.notice("old archive deleted", metadata: ["archive": "\(archive.path)"]) }
            } catch {
                if Task.isCancelled { return }
                logger.error("deleting old archives failed", metadata: ["error": "\(error)"])
            }
            let tomorrow = SchoolDay(now, in: calendar).adding(days: 1).at(minuteOfDay: 3 * 60, in: calendar)
            try? await Task.sleep(for: .seconds(max(60, tomorrow.timeIntervalSince(clock.now()))))
        }
    }
}
