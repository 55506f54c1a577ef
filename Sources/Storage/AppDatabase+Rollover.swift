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
    /// (SQLite's online backup): the copy is exactly what `body` starts from.
    public func write<T>(archivingTo path: String, _ body: (Transaction) throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        return try writer.write { db in
            // SQLite cannot back up through a connection in a write transaction; a second one reads the last commit, which
            // is what this transaction starts from, as it holds the write lock from its first statement (BEGIN IMMEDIATE).
            var readOnly = Configuration()
            readOnly.readonly = true
            let source = try DatabaseQueue(path: writer.path, configuration: readOnly)
            let copy = try DatabaseQueue(path: path)
            try source.backup(to: copy)
            try copy.close()
            try source.close()
            return try body(Transaction(db))
        }
    }
}
