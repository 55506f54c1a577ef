import Foundation
import GRDB

/// The two ways the school-year rollover writes: rehearsed (rolled back), or after archiving the whole database.
extension AppDatabase {
    /// Runs `body` in a write transaction that is then rolled back: what it would do, counted exactly, without doing it.
    public func rehearse<T>(_ body: (Transaction) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(Transaction(db))
                return .rollback
            }
            return result!
        }
    }

    /// Runs `body` in one write transaction that starts by copying the whole database into a new SQLite file at `path`
    /// (the same online backup as `samenspraak backup`): the copy is exactly what `body` starts from.
    public func write<T>(archivingTo path: String, _ body: (Transaction) throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        return try writer.write { db in
            // SQLite cannot back up through a connection in a write transaction; the backup's own connection reads the
            // last commit, which is what this transaction starts from, as it holds the write lock from its first
            // statement (BEGIN IMMEDIATE).
            _ = try DatabaseBackup.copy(writer.path, to: path, replacing: false)
            return try body(Transaction(db))
        }
    }
}
