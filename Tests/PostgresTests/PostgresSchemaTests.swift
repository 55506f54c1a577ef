import Foundation
import GRDB
import Logging
import PostgresNIO
import PostgresStorage
import Storage
import Testing

/// The schema on a real PostgreSQL server (SAMENSPRAAK_POSTGRES_URL; `postgres.sh` beside this file starts one, and
/// `.ci/run` does): the same steps make the same tables as on SQLite, and both databases refuse the same things.
/// Skipped without a server, unless SAMENSPRAAK_POSTGRES_TESTS=required.
@Suite(.enabled(if: PostgresServer.url != nil || PostgresServer.isRequired, "needs SAMENSPRAAK_POSTGRES_URL"))
struct PostgresSchemaTests {
    @Test func theSameStepsMakeTheSameTablesAndColumnsAsOnSQLite() async throws {
        try await PostgresServer.withFreshSchema { location, connection in
            try await PostgresSchema.migrate(location, logger: PostgresServer.logger)
            var postgres: [String: [String: Bool]] = [:]
            let columns = try await connection.query("""
                SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = \(location.schema)
                """, logger: PostgresServer.logger)
            for try await (table, column, nullable) in columns.decode((String, String, String).self) where table != "schemamigration" {
                postgres[table, default: [:]][column] = nullable == "YES"
            }
            #expect(!postgres.isEmpty)
            #expect(postgres == (try SQLiteSchema.columns()))
        }
    }

    @Test func migratingAgainOrFromTwoInstancesAtOnceAppliesEachStepOnce() async throws {
        try await PostgresServer.withFreshSchema { location, connection in
            let together = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<6 { group.addTask { try await PostgresSchema.migrate(location, logger: PostgresServer.logger) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(together.map(\.count).sorted() == [0, 0, 0, 0, 0, Schema.migrations.count])
            #expect(try await PostgresSchema.migrate(location, logger: PostgresServer.logger) == [])
            let recorded = try await connection.query("SELECT count(*) FROM \(unescaped: location.schema).schemaMigration", logger: PostgresServer.logger)
            for try await count in recorded.decode(Int.self) { #expect(count == Schema.migrations.count) }
        }
    }

    /// The invariants the application relies on, enforced by each database itself: the same statements, accepted or
    /// refused alike.
    @Test func bothDatabasesRefuseTheSameThings() async throws {
        let sqlite = try SQLiteSchema.migrated()
        try await PostgresServer.withFreshSchema { location, connection in
            try await PostgresSchema.migrate(location, logger: PostgresServer.logger)
            try await connection.query("SET search_path TO \(unescaped: location.schema)", logger: PostgresServer.logger)
            for probe in Probe.all {
                let onSQLite: Bool
                do {
                    try await sqlite.write { db in try db.execute(sql: probe.sql) }
                    onSQLite = true
                } catch {
                    onSQLite = false
                }
                let onPostgres: Bool
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: probe.sql), logger: PostgresServer.logger)
                    onPostgres = true
                } catch {
                    onPostgres = false
                }
                #expect(onSQLite == probe.accepted, "SQLite: \(probe.what)")
                #expect(onPostgres == probe.accepted, "PostgreSQL: \(probe.what)")
            }
        }
    }

    @Test func aLocationIsReadFromItsURLAndNeverShowsThePassword() throws {
        let location = try PostgresLocation(url: "postgres://samenspraak:s3cret@db.example.nl:6432/board?schema=klimop&sslmode=require")
        #expect(location.host == "db.example.nl" && location.port == 6432 && location.username == "samenspraak" && location.password == "s3cret")
        #expect(location.database == "board" && location.schema == "klimop" && location.requiresTLS)
        #expect(location.description == "postgres://samenspraak@db.example.nl:6432/board?schema=klimop&sslmode=require")
        for (url, problem) in [("postgres://db.example.nl/board", "names no user (postgres://user@host/database)"),
                               ("postgres://me@db.example.nl", "names no database (postgres://user@host/database)"),
                               ("postgres://me@db/board?schema=Klimop;drop", "has schema=Klimop;drop; a schema is lower-case letters, digits and underscores, such as klimop"),
                               ("postgres://me@db/board?sslmode=prefer", "has sslmode=prefer; it is require or disable"),
                               ("postgres://me@db/board?pool=3", "has the unknown parameter pool; the parameters are schema and sslmode"),
                               ("mysql://me@db/board", "must look like postgres://user:password@host:5432/database?schema=name")] {
            #expect(throws: PostgresLocationProblem.self) { try PostgresLocation(url: url) }
            do { _ = try PostgresLocation(url: url) } catch { #expect(error.description == problem) }
        }
    }
}

/// One statement and whether a database must accept it, run in order on both databases.
struct Probe {
    let what: String
    let sql: String
    let accepted: Bool

    static let all: [Probe] = [
        Probe(what: "a household", sql: "INSERT INTO household (id, key, inviteCode, createdAt) VALUES (1, 'H1', 'CODE1', '2026-11-23 10:00:00')", accepted: true),
        Probe(what: "a second household", sql: "INSERT INTO household (id, key, inviteCode, createdAt) VALUES (2, 'H2', 'CODE2', '2026-11-23 10:00:00')", accepted: true),
        Probe(what: "two households with one invite code", sql: "INSERT INTO household (id, key, inviteCode, createdAt) VALUES (3, 'H3', 'CODE1', '2026-11-23 10:00:00')", accepted: false),
        Probe(what: "a child", sql: "INSERT INTO child (id, firstName, lastName, groupID) VALUES ('c1', 'Sara', 'Smit', 'g1')", accepted: true),
        Probe(what: "two slots", sql: """
            INSERT INTO slot (id, teacherID, startsAt, endsAt, kind, place, active) VALUES
              (1, 't1', '2026-11-30 08:00:00', '2026-11-30 08:20:00', 'school', 'lokaal 1', TRUE),
              (2, 't1', '2026-11-30 08:20:00', '2026-11-30 08:40:00', 'school', 'lokaal 1', TRUE)
            """, accepted: true),
        Probe(what: "a slot twice", sql: "INSERT INTO slot (id, teacherID, startsAt, endsAt, kind, place) VALUES (3, 't1', '2026-11-30 08:00:00', '2026-11-30 08:20:00', 'school', 'x')",
              accepted: false),
        Probe(what: "a booking", sql: "INSERT INTO booking (id, slotID, childID, householdID, scope, icsToken, createdAt) VALUES (1, 1, 'c1', 1, 'child:c1', 'ics1', '2026-11-23 10:00:00')",
              accepted: true),
        Probe(what: "a booking for a child that does not exist", sql: """
            INSERT INTO booking (id, slotID, childID, householdID, scope, icsToken, createdAt) VALUES (2, 2, 'nobody', 1, 'child:nobody', 'ics2', '2026-11-23 10:00:00')
            """, accepted: false),
        Probe(what: "a second active booking of the slot", sql: """
            INSERT INTO booking (id, slotID, childID, householdID, scope, icsToken, createdAt) VALUES (3, 1, 'c1', 2, 'child:c1/household:2', 'ics3', '2026-11-23 10:00:00')
            """, accepted: false),
        Probe(what: "a second active booking of the child", sql: """
            INSERT INTO booking (id, slotID, childID, householdID, scope, icsToken, createdAt) VALUES (4, 2, 'c1', 1, 'child:c1', 'ics4', '2026-11-23 10:00:00')
            """, accepted: false),
        Probe(what: "the first booking cancelled", sql: "UPDATE booking SET cancelledAt = '2026-11-24 10:00:00' WHERE id = 1", accepted: true),
        Probe(what: "the slot booked again after the cancellation", sql: """
            INSERT INTO booking (id, slotID, childID, householdID, scope, icsToken, createdAt) VALUES (5, 1, 'c1', 1, 'child:c1', 'ics5', '2026-11-24 10:00:00')
            """, accepted: true),
        Probe(what: "a message received", sql: "INSERT INTO inbox (id, channel, platformMessageID, receivedAt) VALUES (1, 'telegram', '1001', '2026-11-23 10:00:00')", accepted: true),
        Probe(what: "the same message again", sql: "INSERT INTO inbox (id, channel, platformMessageID, receivedAt) VALUES (2, 'telegram', '1001', '2026-11-23 10:00:01')", accepted: false),
        Probe(what: "the same id on another channel", sql: "INSERT INTO inbox (id, channel, platformMessageID, receivedAt) VALUES (3, 'whatsapp', '1001', '2026-11-23 10:00:01')", accepted: true),
        Probe(what: "a chat of nobody", sql: "INSERT INTO contact (id, channel, address, session, createdAt) VALUES (1, 'telegram', '42', '{}', '2026-11-23 10:00:00')", accepted: false),
        Probe(what: "a chat of a household and a teacher at once", sql: """
            INSERT INTO contact (id, channel, address, householdID, teacherID, session, createdAt) VALUES (1, 'telegram', '42', 1, 't1', '{}', '2026-11-23 10:00:00')
            """, accepted: false),
        Probe(what: "two buddy volunteers", sql: """
            INSERT INTO buddyVolunteer (householdID, languages, situations, capacity, createdAt) VALUES
              (1, 'nl,ar', 'language', 2, '2026-11-23 10:00:00'), (2, 'nl,tr', 'language', 1, '2026-11-23 10:00:00')
            """, accepted: true),
        Probe(what: "a buddy request", sql: """
            INSERT INTO buddyNeed (id, householdID, situation, source, createdAt) VALUES (1, 2, 'language', 'parent', '2026-11-23 10:00:00')
            """, accepted: true),
        Probe(what: "a pairing without both consents", sql: """
            INSERT INTO buddyIntroduction (id, needID, parentID, buddyID, language, askedAt, state) VALUES (1, 1, 2, 1, 'ar', '2026-11-23 10:00:00', 'paired')
            """, accepted: false),
        Probe(what: "a parent paired with themselves", sql: """
            INSERT INTO buddyIntroduction (id, needID, parentID, buddyID, language, askedAt, state, parentConsentAt, buddyConsentAt)
            VALUES (1, 1, 2, 2, 'ar', '2026-11-23 10:00:00', 'paired', '2026-11-23 10:00:00', '2026-11-23 10:00:00')
            """, accepted: false),
        Probe(what: "a pairing both said yes to", sql: """
            INSERT INTO buddyIntroduction (id, needID, parentID, buddyID, language, askedAt, state, parentConsentAt, buddyConsentAt)
            VALUES (1, 1, 2, 1, 'ar', '2026-11-23 10:00:00', 'paired', '2026-11-23 10:00:00', '2026-11-23 11:00:00')
            """, accepted: true),
        Probe(what: "two staff accounts whose e-mail addresses differ only in case", sql: """
            INSERT INTO staffAccount (id, email, name, role, passwordHash, createdAt) VALUES
              (1, 'office@school.nl', 'Ans', 'office', 'x', '2026-11-23 10:00:00'), (2, 'Office@School.nl', 'Ans', 'office', 'x', '2026-11-23 10:00:00')
            """, accepted: false),
    ]
}

/// The SQLite side: the same steps, run by GRDB.
enum SQLiteSchema {
    static func migrated() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        let queue = try DatabaseQueue(configuration: configuration)
        try queue.write { db in for migration in Schema.migrations { try db.execute(sql: migration.sqlite) } }
        return queue
    }

    /// Every table's columns (lower case, as PostgreSQL folds unquoted names) and whether each may be NULL.
    static func columns() throws -> [String: [String: Bool]] {
        try migrated().read { db in
            var tables: [String: [String: Bool]] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
                for column in try Row.fetchAll(db, sql: "SELECT name, \"notnull\", pk FROM pragma_table_info(?)", arguments: [table]) {
                    let name: String = column["name"], notNull: Bool = column["notnull"], primaryKey: Int = column["pk"]
                    tables[table.lowercased(), default: [:]][name.lowercased()] = !(notNull || primaryKey > 0)
                }
            }
            return tables
        }
    }
}

/// The PostgreSQL server of the tests, and a schema of its own for each test, dropped afterwards.
enum PostgresServer {
    static var url: String? { ProcessInfo.processInfo.environment["SAMENSPRAAK_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var isRequired: Bool { ProcessInfo.processInfo.environment["SAMENSPRAAK_POSTGRES_TESTS"] == "required" }
    static let logger: Logger = {
        var logger = Logger(label: "postgres-tests")
        logger.logLevel = .critical
        return logger
    }()

    static func withFreshSchema(_ body: (PostgresLocation, PostgresConnection) async throws -> Void) async throws {
        let url = try #require(url, "SAMENSPRAAK_POSTGRES_TESTS=required but SAMENSPRAAK_POSTGRES_URL is not set")
        var location = try PostgresLocation(url: url)
        location.schema = "test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let base = try PostgresLocation(url: url)
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: base.host, port: base.port, username: base.username, password: base.password, database: base.database, tls: .disable),
            id: 1, logger: logger)
        do {
            try await body(location, connection)
        } catch {
            _ = try? await connection.query("DROP SCHEMA IF EXISTS \(unescaped: location.schema) CASCADE", logger: logger)
            try? await connection.close()
            throw error
        }
        try await connection.query("DROP SCHEMA IF EXISTS \(unescaped: location.schema) CASCADE", logger: logger)
        try await connection.close()
    }
}
