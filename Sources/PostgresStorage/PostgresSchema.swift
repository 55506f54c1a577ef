import Logging
import PostgresNIO
import Storage

/// The schema on PostgreSQL: the same steps as on SQLite (`Schema.migrations`), each applied once and recorded in
/// `schemaMigration`. All pending steps run in one transaction holding an advisory lock for the schema, so two
/// instances starting at once migrate once: the second waits, then finds nothing left to do. PostgreSQL's DDL is
/// transactional, so a step that fails leaves the schema as it was.
public enum PostgresSchema {
    /// Creates the location's schema if needed and applies the steps it lacks; returns their names.
    @discardableResult
    public static func migrate(_ location: PostgresLocation, logger: Logger) async throws -> [String] {
        let connection = try await PostgresConnection.connect(configuration: try location.configuration, id: 1, logger: logger)
        do {
            let applied = try await migrate(connection, schema: location.schema, logger: logger)
            try await connection.close()
            return applied
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The same inside a transaction of the engine's writer, whose search path already names the schema.
    @discardableResult
    static func migrate(_ sql: any SQLConnection, schema: String, logger: Logger) throws -> [String] {
        // The lock comes first: even CREATE SCHEMA IF NOT EXISTS fails when two instances run it at the same moment.
        _ = try sql.rows("SELECT pg_advisory_xact_lock(hashtext(?))", [.text("samenspraak schema " + schema)])
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

    static func migrate(_ connection: PostgresConnection, schema: String, logger: Logger) async throws -> [String] {
        try await connection.query("BEGIN", logger: logger)
        do {
            // The lock comes first: even CREATE SCHEMA IF NOT EXISTS fails when two instances run it at the same moment.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("samenspraak schema " + schema)))", logger: logger)
            // The schema name was checked to be an identifier (PostgresLocation), so it may be written into the SQL.
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \(schema)"), logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schemaMigration (name TEXT PRIMARY KEY, appliedAt TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var done: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM schemaMigration", logger: logger).decode(String.self) {
                done.insert(name)
            }
            var applied: [String] = []
            for migration in Schema.migrations where !done.contains(migration.name) {
                for statement in PostgresDialect.statements(PostgresDialect.sql(of: migration)) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO schemaMigration (name) VALUES (\(migration.name))", logger: logger)
                applied.append(migration.name)
            }
            try await connection.query("COMMIT", logger: logger)
            if !applied.isEmpty { logger.info("PostgreSQL schema migrated", metadata: ["schema": "\(schema)", "steps": "\(applied.count)"]) }
            return applied
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}

/// What went wrong with PostgreSQL, said without the query's values or the password: the server's own message, or
/// the kind of failure (connection refused, authentication, TLS).
public func postgresFailureReason(_ error: any Error) -> String {
    guard let error = error as? PSQLError else { return "\(type(of: error))" }
    if let message = error.serverInfo?[.message] { return message }
    return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
}
