import SamenspraakCore

/// Wakes whoever waits for outbox rows (a web chat's long poll, a platform's sender) once new ones are committed.
/// Keys are addresses, or `channelKey(_:)` for everything of a channel. Each key has a version that every signal
/// raises, so a signal between "check the outbox" and "wait" is never missed.
public actor OutboxNotifier {
    private var versions: [String: Int] = [:]
    private var waiters: [String: [Int: CheckedContinuation<Void, Never>]] = [:]
    private var nextWaiter = 0

    public init() {}

    /// The key a platform's sender waits on: any new row for that channel.
    public static func channelKey(_ channel: ChannelKind) -> String { "channel:" + channel.rawValue }

    public func version(_ address: String) -> Int { versions[address, default: 0] }

    public func signal(_ address: String) {
        versions[address, default: 0] += 1
        for continuation in waiters.removeValue(forKey: address)?.values ?? [:].values { continuation.resume() }
    }

    /// Returns when `address` moves past `seen`, or after `timeout`.
    public func wait(_ address: String, after seen: Int, timeout: Duration) async {
        guard versions[address, default: 0] == seen else { return }
        let id = nextWaiter
        nextWaiter += 1
        await withCheckedContinuation { continuation in
            waiters[address, default: [:]][id] = continuation
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(address, id)
            }
        }
    }

    private func expire(_ address: String, _ id: Int) {
        waiters[address]?.removeValue(forKey: id)?.resume()
        if waiters[address]?.isEmpty == true { waiters[address] = nil }
    }
}
