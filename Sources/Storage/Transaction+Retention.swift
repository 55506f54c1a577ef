import Foundation
import GRDB

/// Conversation messages per table: what a purge deleted, or would delete.
public struct MessageCounts: Sendable, Equatable {
    /// Messages received (their text and the platform's payload).
    public var inbox = 0
    /// Messages sent, or given up on.
    public var outbox = 0

    public init(inbox: Int = 0, outbox: Int = 0) { (self.inbox, self.outbox) = (inbox, outbox) }

    public var total: Int { inbox + outbox }

    public static func += (lhs: inout MessageCounts, rhs: MessageCounts) { (lhs.inbox, lhs.outbox) = (lhs.inbox + rhs.inbox, lhs.outbox + rhs.outbox) }
}

/// Retention: the conversation messages from before a moment are deleted, except those still in use.
///
/// - An inbox row not yet processed is the message itself, waiting to be handled after a crash: it stays.
/// - A processed inbox row is also what makes its platform message id count as seen (the unique index). Deleting it
///   after the retention period (at least seven days) cannot let a duplicate in: Telegram never hands out an update
///   again once its offset was confirmed and drops unconfirmed ones after 24 hours (webhook retries stop sooner), and
///   a web chat page repeats a send only within seconds.
/// - An outbox row still pending or being sent is a message not delivered yet: it stays until it is sent or failed.
extension Transaction {
    static let purgeableInbox = "FROM inbox WHERE receivedAt < ? AND processedAt IS NOT NULL ORDER BY receivedAt"
    static let purgeableOutbox = "FROM outbox WHERE createdAt < ? AND status IN ('sent', 'failed') ORDER BY createdAt"

    /// How many messages a purge with this cutoff would delete.
    public func purgeableMessages(before cutoff: Date) throws -> MessageCounts {
        MessageCounts(inbox: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT id \(Self.purgeableInbox))", arguments: [cutoff]) ?? 0,
                      outbox: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT id \(Self.purgeableOutbox))", arguments: [cutoff]) ?? 0)
    }

    /// Deletes the messages from before `cutoff`, oldest first, at most `limit` of each table (nil: all).
    public func purgeMessages(before cutoff: Date, limit: Int? = nil) throws -> MessageCounts {
        var counts = MessageCounts()
        for (table, condition) in [("inbox", Self.purgeableInbox), ("outbox", Self.purgeableOutbox)] {
            try db.execute(sql: "DELETE FROM \(table) WHERE id IN (SELECT id \(condition) LIMIT ?)", arguments: [cutoff, limit ?? -1])
            if table == "inbox" { counts.inbox = db.changesCount } else { counts.outbox = db.changesCount }
        }
        return counts
    }
}
