/// Wakes long polls when new messages for an address are committed. Each address has a version that
/// every signal raises, so a signal between "check the outbox" and "wait" is never missed.
actor MessageNotifier {
    private var versions: [String: Int] = [:]
    private var waiters: [String: [Int: CheckedContinuation<Void, Never>]] = [:]
    private var nextWaiter = 0

    func version(_ address: String) -> Int { versions[address, default: 0] }

    func signal(_ address: String) {
        versions[address, default: 0] += 1
        for continuation in waiters.removeValue(forKey: address)?.values ?? [:].values { continuation.resume() }
    }

    /// Returns when `address` moves past `seen`, or after `timeout`.
    func wait(_ address: String, after seen: Int, timeout: Duration) async {
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
