import Foundation

/// The two ways the school-year rollover writes: rehearsed (rolled back), or after archiving the whole database.
extension AppDatabase {
    /// Runs `body` in a write transaction that is then rolled back: what it would do, counted exactly, without doing it.
    public func rehearse<T>(_ body: (Transaction) throws -> T) throws -> T {
        try engine.rehearse { try body(Transaction($0)) }
    }

    /// Runs `body` in one write transaction that starts by copying the whole database into a new SQLite file at `path`:
    /// the copy is exactly what `body` starts from.
    public func write<T>(archivingTo path: String, _ body: (Transaction) throws -> T) throws -> T {
        try engine.write(archivingTo: path) { try body(Transaction($0)) }
    }
}
