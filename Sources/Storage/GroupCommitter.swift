/// Group commit: units of work submitted while a transaction is being written wait and then share the next
/// one, so many conversation steps cost one disk sync while none is confirmed before it is durable.
public actor GroupCommitter {
    private struct Job {
        let unit: @Sendable (Transaction) throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
        var conflicts = 0
    }

    private let database: AppDatabase
    private let maximumBatch: Int
    private var pending: [Job] = []
    private var draining = false

    /// A unit another daemon's transaction made the database give up (`SQLTransactionConflict`: a deadlock) runs again
    /// in a later batch, this often at most.
    static let conflictRetries = 5

    /// `maximumBatch`: a write outside the group commit (Matrix storing a sync batch, a staff change) waits for the one
    /// writer as long as a batch takes. With 32 steps the Telegram load went 20–30 % faster than with 64 or 256 (its
    /// long poll then stored each batch in a write of its own), and 200 parents' messages at once were as fast (170 µs
    /// each). Now that the long poll stores its batches in the group commit, a limit of 128 changed nothing: batches
    /// averaged 17 units of work under the same load.
    public init(database: AppDatabase, maximumBatch: Int = 32) {
        self.database = database
        self.maximumBatch = maximumBatch
    }

    /// Runs `unit` in the next shared transaction and returns its result once that transaction has committed. A unit
    /// that throws is rolled back alone and its error is rethrown here (`AppDatabase.writeBatch`: the others may run
    /// twice, so a unit does nothing outside the database).
    public func perform<T: Sendable>(_ unit: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            pending.append(Job(unit: { try unit($0) }, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
        guard let typed = value as? T else { throw GroupCommitError.unexpectedResult }
        return typed
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maximumBatch))
            pending.removeFirst(batch.count)
            do {
                let results = try await database.writeBatch(batch.map(\.unit))
                for (var job, result) in zip(batch, results) {
                    if case .failure(let error) = result, error is SQLTransactionConflict, job.conflicts < Self.conflictRetries {
                        job.conflicts += 1
                        pending.append(job)
                    } else {
                        job.continuation.resume(with: result)
                    }
                }
            } catch {
                // The commit itself failed (disk full, I/O error): nothing of this batch is durable.
                for job in batch { job.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}

public enum GroupCommitError: Error {
    case unexpectedResult
}
