import Foundation

/// The reader connections, handed out one transaction at a time. An async read waits for a free reader without
/// holding a thread (`whenFree`); the command line's `readNow` blocks its own (`takeNow`).
final class PostgresReaderPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [PostgresSQLConnection]
    private var waiters: [(PostgresSQLConnection?) -> Void] = []
    private var closed = false

    init(_ readers: [PostgresSQLConnection]) { free = readers }

    func takeNow() throws -> PostgresSQLConnection {
        let semaphore = DispatchSemaphore(value: 0)
        var taken: PostgresSQLConnection?
        whenFree { reader in
            taken = reader
            semaphore.signal()
        }
        semaphore.wait()
        guard let taken else { throw PostgresEngineClosed() }
        return taken
    }

    func give(_ reader: PostgresSQLConnection) {
        lock.lock()
        if closed {
            lock.unlock()
            reader.close()
        } else if waiters.isEmpty {
            free.append(reader)
            lock.unlock()
        } else {
            let waiter = waiters.removeFirst()
            lock.unlock()
            waiter(reader)
        }
    }

    /// Closes the free readers and fails the waiting reads; readers in use close when they are given back.
    func close() {
        lock.lock()
        closed = true
        let (idle, waiting) = (free, waiters)
        free = []
        waiters = []
        lock.unlock()
        for waiter in waiting { waiter(nil) }
        for reader in idle { reader.close() }
    }

    /// Calls `waiter` with a free reader now or when one is given back (on the thread giving it back), or with nil once
    /// the pool is closed.
    func whenFree(_ waiter: @escaping (PostgresSQLConnection?) -> Void) {
        lock.lock()
        if closed {
            lock.unlock()
            waiter(nil)
        } else if let reader = free.popLast() {
            lock.unlock()
            waiter(reader)
        } else {
            waiters.append(waiter)
            lock.unlock()
        }
    }
}
