import Foundation

/// A value behind a lock. `Mutex` needs macOS 15 and the package supports macOS 14.
final class PostgresLocked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func update<T>(_ change: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try change(&stored)
    }

    /// Stores `value` and returns the one before.
    func exchange(_ value: Value) -> Value {
        update { stored in
            let old = stored
            stored = value
            return old
        }
    }
}
