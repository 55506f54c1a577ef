import Foundation
import GRDB

/// What the health check and the metrics read: cheap queries on partial indexes, fit for polling.
extension Transaction {
    /// Outbox rows still to go out, per channel (including those waiting for a retry); counted on the index of
    /// pending rows. For the web chat these are replies its browser has not fetched yet.
    public func pendingOutboxCounts() throws -> [String: Int] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT channel, COUNT(*) FROM outbox WHERE status = 'pending' GROUP BY channel"))
        return Dictionary(uniqueKeysWithValues: rows.map { (String.fromDatabaseValue($0[0]) ?? "", Int.fromDatabaseValue($0[1]) ?? 0) })
    }

    /// The number of rows of every table, by name (SQLite's own and GRDB's bookkeeping left out).
    public func tableRowCounts() throws -> [(table: String, rows: Int)] {
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name
            """)
        return try tables.map { ($0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0.quotedDatabaseIdentifier)") ?? 0) }
    }
}
