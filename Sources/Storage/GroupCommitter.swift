import Dispatch
import Synchronization

/// Group commit: units of work submitted while a transaction is being written wait and then share the next
/// one, so many conversation steps cost one disk sync while none is confirmed before it is durable. The next batch is
/// written while the disk syncs the last (on SQLite, `WALSync`); a batch's callers hear of it once it is on disk.
public final class GroupCommitter: Sendable {
    private struct Job: Sendable {
        let unit: @Sendable (Transaction) throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
        var conflicts = 0
    }

    private struct Queue {
        var pending: [Job] = []
        var draining = false
    }

    private let database: AppDatabase
    private let maximumBatch: Int
    private let queue = Mutex(Queue())
    /// Where the batches are written one after the other when the engine writes on the calling thread (SQLite): each
    /// as soon as the last is committed. Written from the concurrency pool instead, each batch waited for a thread of
    /// the pool behind the steps' HTTP work, once to start and once to hear it was committed: under the Telegram load
    /// a sixth of the writer's time.
    private let writerThread: DispatchQueue?

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
        writerThread = database.engine.writesOnCallingThread ? DispatchQueue(label: "samenspraak.group-commit") : nil
    }

    /// Runs `unit` in the next shared transaction and returns its result once that transaction is on disk. A unit
    /// that throws is rolled back alone and its error is rethrown here (`AppDatabase.writeBatch`: the others may run
    /// twice, so a unit does nothing outside the database).
    public func perform<T: Sendable>(_ unit: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            let startDraining = queue.withLock { queue in
                queue.pending.append(Job(unit: { try unit($0) }, continuation: continuation))
                guard !queue.draining else { return false }
                queue.draining = true
                return true
            }
            guard startDraining else { return }
            if let writerThread {
                writerThread.async { self.drainOnWriterThread() }
            } else {
                Task { await self.drain() }
            }
        }
        guard let typed = value as? T else { throw GroupCommitError.unexpectedResult }
        return typed
    }

    private func drainOnWriterThread() {
        while let batch = nextBatch() {
            settle(batch, Result { try database.writeBatchNow(batch.map(\.unit)) })
        }
    }

    private func drain() async {
        while let batch = nextBatch() {
            do {
                settle(batch, .success(try await database.writeBatch(batch.map(\.unit))))
            } catch {
                settle(batch, .failure(error))
            }
        }
    }

    /// The next batch, or nil (and no longer draining) when none waits.
    private func nextBatch() -> [Job]? {
        queue.withLock { queue in
            guard !queue.pending.isEmpty else {
                queue.draining = false
                return nil
            }
            let batch = Array(queue.pending.prefix(maximumBatch))
            queue.pending.removeFirst(batch.count)
            return batch
        }
    }

    /// Tells each caller of a written batch how its unit went: at once when it was rolled back, once the disk has the
    /// transaction when it was committed. A unit given up in a conflict goes into a later batch.
    private func settle(_ batch: [Job], _ written: Result<([Result<any Sendable, any Error>], Durability), any Error>) {
        let (results, durability): ([Result<any Sendable, any Error>], Durability)
        switch written {
        case .success(let batchWritten): (results, durability) = batchWritten
        case .failure(let error):
            // The commit itself failed (disk full, I/O error): nothing of this batch is durable.
            for job in batch { job.continuation.resume(throwing: error) }
            return
        }
        var committed: [(Job, Result<any Sendable, any Error>)] = []
        var again: [Job] = []
        for (var job, result) in zip(batch, results) {
            if case .failure(let error) = result, error is SQLTransactionConflict, job.conflicts < Self.conflictRetries {
                job.conflicts += 1
                again.append(job)
            } else if case .failure = result {
                job.continuation.resume(with: result)
            } else {
                committed.append((job, result))
            }
        }
        if !again.isEmpty { queue.withLock { $0.pending.append(contentsOf: again) } }
        durability.whenDurable { [committed] error in
            for (job, result) in committed { job.continuation.resume(with: error.map { .failure($0) } ?? result) }
        }
    }
}

public enum GroupCommitError: Error {
    case unexpectedResult
}
