import Foundation
import SamenspraakCore

/// Conversation messages per table: what a purge deleted, or would delete.
public struct MessageCounts: Sendable, Equatable {
    /// Messages received (their text and the platform's payload).
    public var inbox = 0
    /// Messages sent, or given up on.
    public var outbox = 0
    /// Web chat replies no browser fetched, marked expired (not deleted: they count in `outbox` once they are).
    public var expired = 0

    public init(inbox: Int = 0, outbox: Int = 0, expired: Int = 0) { (self.inbox, self.outbox, self.expired) = (inbox, outbox, expired) }

    /// Messages deleted.
    public var total: Int { inbox + outbox }

    public static func += (lhs: inout MessageCounts, rhs: MessageCounts) {
        (lhs.inbox, lhs.outbox, lhs.expired) = (lhs.inbox + rhs.inbox, lhs.outbox + rhs.outbox, lhs.expired + rhs.expired)
    }
}

/// Retention: the conversation messages from before a moment are deleted, except those still in use.
///
/// - An inbox row not yet processed is the message itself, waiting to be handled after a crash: it stays.
/// - A processed inbox row is also what makes its platform message id count as seen (the unique index). Deleting it
///   after the retention period (at least seven days) cannot let a duplicate in: Telegram never hands out an update
///   again once its offset was confirmed and drops unconfirmed ones after 24 hours (webhook retries stop sooner), and
///   a web chat page repeats a send only within seconds.
/// - An outbox row still pending or being sent is a message not delivered yet: it stays until it is sent or failed.
///   The web chat's are the exception: nobody sends them, the parent's browser fetches them, and a page that is never
///   opened again would leave them pending for good. Those older than `Retention.unfetchedWebChatDays` are marked
///   expired, and then go like any other message.
extension Transaction {
    static let purgeableInbox = "FROM inbox WHERE receivedAt < ? AND processedAt IS NOT NULL ORDER BY receivedAt"
    static let purgeableOutbox = "FROM outbox WHERE createdAt < ? AND status IN ('sent', 'failed', 'expired') ORDER BY createdAt"
    static let unfetchedWebChat = "FROM outbox WHERE status = 'pending' AND channel = '\(ChannelKind.webchat.rawValue)' AND createdAt < ? ORDER BY id"
    /// Shown with the row (the household's export, the database) as a failed one's reason would be.
    public static let unfetchedReason = "expired: the web chat page did not fetch it within \(Retention.unfetchedWebChatDays) days"

    /// How many messages a purge with this cutoff would delete; with `unfetchedBefore`, also the web chat replies it
    /// would mark expired first (and delete, when they are from before `cutoff` too).
    public func purgeableMessages(before cutoff: Date, unfetchedBefore expiry: Date? = nil) throws -> MessageCounts {
        func count(_ condition: String, _ moment: Date) throws -> Int {
            try value("SELECT COUNT(*) FROM (SELECT id \(condition)) AS purgeable", [moment], as: Int.self) ?? 0
        }
        var counts = MessageCounts(inbox: try count(Self.purgeableInbox, cutoff), outbox: try count(Self.purgeableOutbox, cutoff))
        if let expiry {
            counts.expired = try count(Self.unfetchedWebChat, expiry)
            counts.outbox += try count(Self.unfetchedWebChat, min(cutoff, expiry))
        }
        return counts
    }

    /// Marks the web chat replies queued before `cutoff` that no browser fetched as expired, with the reason, at most
    /// `limit` (nil: all). Only the web chat's: a messaging platform's pending row is still to be sent.
    public func expireUnfetchedWebChatReplies(before cutoff: Date, limit: Int? = nil) throws -> Int {
        try execute("UPDATE outbox SET status = 'expired', lastError = ? WHERE id IN (SELECT id \(Self.unfetchedWebChat) LIMIT ?)",
                    [Self.unfetchedReason, cutoff, limit ?? Int.max])
    }

    /// Deletes the messages from before `cutoff`, oldest first, at most `limit` of each table (nil: all).
    public func purgeMessages(before cutoff: Date, limit: Int? = nil) throws -> MessageCounts {
        var counts = MessageCounts()
        for (table, condition) in [("inbox", Self.purgeableInbox), ("outbox", Self.purgeableOutbox)] {
            let deleted = try execute("DELETE FROM \(table) WHERE id IN (SELECT id \(condition) LIMIT ?)", [cutoff, limit ?? Int.max])
            if table == "inbox" { counts.inbox = deleted } else { counts.outbox = deleted }
        }
        // Reports on messages that never became ours (sent from the platform's own console, or long gone).
        try execute("DELETE FROM earlyDeliveryReport WHERE receivedAt < ?", [cutoff])
        return counts
    }
}

extension Transaction {
    /// Reports still waiting for their message's id (`keepEarly`).
    public func earlyDeliveryReportCount() throws -> Int { try value("SELECT COUNT(*) FROM earlyDeliveryReport", [], as: Int.self) ?? 0 }
}
