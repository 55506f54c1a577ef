import Foundation
import Logging
import PostgresNIO
import Storage

/// The schema on PostgreSQL: the same steps as on SQLite (`Schema.migrations`), each applied once and recorded in
/// `schemaMigration`. All pending steps run in one transaction holding an advisory lock for the schema, so two
/// instances starting at once migrate once: the second waits, then finds nothing left to do. PostgreSQL's DDL is
/// transactional, so a step that fails leaves the schema as it was.
public enum PostgresSchema {
    /// Creates the location's schema if needed and applies the steps it lacks, through a connection of its own;
    /// returns their names.
    @discardableResult
    public static func migrate(_ location: PostgresLocation, logger: Logger) async throws -> [String] {
        let connector = try PostgresConnector(location, logger: logger)
        return try await withCheckedThrowingContinuation { continuation in
            // Each statement blocks: on a dispatch thread, not on Swift's cooperative pool.
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let connection = PostgresSQLConnection(try connector.connectNow(), logger: logger, statements: PostgresStatementCache())
                    defer { connection.close() }
                    return try connection.transaction("BEGIN", commits: true, reconnect: connector.connectNow) {
                        try migrate($0, schema: location.schema, logger: logger)
                    }
                })
            }
        }
    }

    /// The same inside a transaction of the engine's writer, whose search path already names the schema.
    @discardableResult
    static func migrate(_ sql: any SQLConnection, schema: String, logger: Logger) throws -> [String] {
        // The lock comes first: even CREATE SCHEMA IF NOT EXISTS fails when two instances run it at the same moment.
        _ = try sql.rows("SELECT pg_advisory_xact_lock(hashtext(?))", [.text("samenspraak schema " + schema)])
        // The schema name was checked to be an identifier (PostgresLocation), so it may be written into the SQL.
        try sql.execute("CREATE SCHEMA IF NOT EXISTS \(schema)", [])
        try sql.execute("CREATE TABLE IF NOT EXISTS schemaMigration (name TEXT PRIMARY KEY, appliedAt TIMESTAMPTZ NOT NULL DEFAULT now())", [])
        let done = Set(try sql.rows("SELECT name FROM schemaMigration", []).map { $0[0] as String })
        var applied: [String] = []
        for migration in Schema.migrations where !done.contains(migration.name) {
            for statement in PostgresDialect.statements(PostgresDialect.sql(of: migration)) { try sql.execute(statement, []) }
            try sql.execute("INSERT INTO schemaMigration (name) VALUES (?)", [.text(migration.name)])
            applied.append(migration.name)
        }
        if !applied.isEmpty { logger.info("PostgreSQL schema migrated", metadata: ["schema": "\(schema)", "steps": "\(applied.count)"]) }
        return applied
    }
}

/// What went wrong with PostgreSQL, said without the query's values or the password: the server's own message, or
/// the kind of failure (connection refused, authentication, TLS).
public func postgresFailureReason(_ error: any Error) -> String {
    guard let error = error as? PSQLError else { return "\(type(of: error))" }
    if let message = error.serverInfo?[.message] { return message }
    return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
}
