import Foundation

/// What the health check and the metrics read: cheap queries on partial indexes, fit for polling.
extension Transaction {
    /// Outbox rows still to go out, per channel (including those waiting for a retry); counted on the index of
    /// pending rows. For the web chat these are replies its browser has not fetched yet.
    public func pendingOutboxCounts() throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try rows("SELECT channel, COUNT(*) FROM outbox WHERE status = 'pending' GROUP BY channel").map { ($0[0], $0[1]) })
    }

    /// The number of rows of every table, by name (the engine's own bookkeeping left out).
    public func tableRowCounts() throws -> [(table: String, rows: Int)] {
        try sql.tableNames().map { ($0, try count($0)) }
    }
}
