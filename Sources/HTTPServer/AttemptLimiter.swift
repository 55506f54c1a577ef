import Foundation

/// Counts failed invite-code attempts per peer in a sliding window, so codes cannot be guessed in a loop.
actor AttemptLimiter {
    private let limit: Int
    private let window: TimeInterval
    private var failures: [String: [Date]] = [:]

    init(limit: Int = 10, window: TimeInterval = 600) {
        self.limit = limit
        self.window = window
    }

    func isBlocked(_ peer: String, now: Date = Date()) -> Bool {
        prune(peer, now: now)
        return failures[peer, default: []].count >= limit
    }

    func recordFailure(_ peer: String, now: Date = Date()) {
        prune(peer, now: now)
        failures[peer, default: []].append(now)
        if failures.count > 100_000 { failures = failures.filter { $0.value.contains { now.timeIntervalSince($0) < window } } }
    }

    private func prune(_ peer: String, now: Date) {
        guard let list = failures[peer] else { return }
        let kept = list.filter { now.timeIntervalSince($0) < window }
        failures[peer] = kept.isEmpty ? nil : kept
    }
}
