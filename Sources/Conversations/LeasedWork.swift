import Logging
import Storage

/// Work that must run in one place only when several daemons share a database (Telegram's `getUpdates`, the Matrix
/// device, the translations): `body` runs while this daemon holds the lease `name`. A daemon without it asks again
/// every `interval`, so a dead holder's work is taken over within about that long; the holder checks as often that it
/// still has it, and when it was lost, `body` is cancelled and waited for, and the lease is waited for again.
public struct LeasedWork: Sendable {
    let name: String
    let leases: any Leases
    let logger: Logger
    let interval: Duration

    public init(_ name: String, leases: any Leases, logger: Logger, interval: Duration = .seconds(2)) {
        self.name = name
        self.leases = leases
        self.logger = logger
        self.interval = interval
    }

    private enum End { case finished, lost }

    /// Runs until `body` returns while holding the lease, or the task is cancelled.
    public func run(_ body: @escaping @Sendable () async -> Void) async {
        var waiting = false
        while !Task.isCancelled {
            do {
                guard try await leases.acquire(name) else {
                    if !waiting { logger.info("another daemon does this work; waiting to take it over", metadata: ["lease": "\(name)"]) }
                    waiting = true
                    try await Task.sleep(for: interval)
                    continue
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("could not ask for the lease", metadata: ["lease": "\(name)", "error": "\(error)"])
                try? await Task.sleep(for: interval)
                continue
            }
            if waiting { logger.info("took this work over", metadata: ["lease": "\(name)"]) }
            waiting = false
            let end = await holding(body)
            await leases.release(name)
            guard end == .lost else { return }
            logger.warning("lost the lease; this work stops until it is held again", metadata: ["lease": "\(name)"])
        }
    }

    /// Runs `body` until it returns or the lease is lost.
    private func holding(_ body: @escaping @Sendable () async -> Void) async -> End {
        guard leases.areShared else {
            await body()
            return .finished
        }
        return await withTaskGroup(of: End.self) { [leases, interval] group in
            group.addTask {
                await body()
                return .finished
            }
            group.addTask { [name] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard !Task.isCancelled else { break }
                    do { try await leases.confirm(name) } catch { return .lost }
                }
                return .finished
            }
            let end = await group.next() ?? .finished
            group.cancelAll()
            return end
        }
    }
}
