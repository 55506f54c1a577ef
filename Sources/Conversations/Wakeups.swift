import SamenspraakCore
import Storage

/// Wakes whoever waits for new work once it is committed: a web chat's long poll or a platform's sender for
/// outbox rows, the job scheduler for newly planned jobs. Keys are web chat addresses, `channelKey(_:)` for everything
/// of a channel, `jobsKey` or `translationsKey`. Each key has a version that every signal raises, so a signal between
/// "check for work" and "wait" is never missed.
public actor Wakeups {
    private var versions: [String: Int] = [:]
    private var waiters: [String: [Int: CheckedContinuation<Void, Never>]] = [:]
    private var nextWaiter = 0
    /// The other daemons on the database, who may have someone waiting too (a long poll sent to one of them).
    private let broadcasts: any Broadcasts

    public init(broadcasts: any Broadcasts = NoBroadcasts()) {
        self.broadcasts = broadcasts
    }

    /// The key a platform's sender waits on: any new row for that channel.
    public static func channelKey(_ channel: ChannelKind) -> String { "channel:" + channel.rawValue }
    /// The key the job scheduler waits on: a job was planned that may be due sooner than it thought.
    public static let jobsKey = "jobs"
    /// Buddies' messages and agreements waiting for their translation.
    public static let translationsKey = "translations"

    public func version(_ address: String) -> Int { versions[address, default: 0] }

    public func signal(_ address: String) {
        signal([address])
    }

    /// Signals each key once, in one visit (a batch of reminders reaches thousands of addresses), here and in the
    /// other daemons on the database.
    public func signal(_ keys: Set<String>) {
        wakeHere(keys)
        broadcasts.broadcast(keys)
    }

    /// Signals keys another daemon broadcast.
    public func wakeHere(_ keys: Set<String>) {
        for key in keys {
            versions[key, default: 0] += 1
            for continuation in waiters.removeValue(forKey: key)?.values ?? [:].values { continuation.resume() }
        }
    }

    /// Signals the recipients' channels (their senders wait there) and the addresses of those on the web chat (each
    /// browser's long poll waits on its own). Nobody waits on another channel's address, a phone number among them, so
    /// it is neither kept here nor broadcast to the other daemons.
    public func signal(recipients: some Sequence<ConversationService.Recipient>) {
        var keys = Set<String>()
        for recipient in recipients {
            if recipient.channel == .webchat { keys.insert(recipient.address) }
            keys.insert(Self.channelKey(recipient.channel))
        }
        signal(keys)
    }

    /// Returns when `address` moves past `seen`, after `timeout`, or when the task is cancelled (a graceful stop must
    /// not wait for the longest sleep).
    public func wait(_ address: String, after seen: Int, timeout: Duration) async {
        guard versions[address, default: 0] == seen, !Task.isCancelled else { return }
        let id = nextWaiter
        nextWaiter += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters[address, default: [:]][id] = continuation
                // Cancelled before this ran: the handler below found nothing to end.
                if Task.isCancelled { expire(address, id) }
                Task {
                    try? await Task.sleep(for: timeout)
                    self.expire(address, id)
                }
            }
        } onCancel: {
            Task { await self.expire(address, id) }
        }
    }

    private func expire(_ address: String, _ id: Int) {
        waiters[address]?.removeValue(forKey: id)?.resume()
        if waiters[address]?.isEmpty == true { waiters[address] = nil }
    }
}
