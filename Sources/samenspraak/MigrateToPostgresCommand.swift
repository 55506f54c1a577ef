import App
import ArgumentParser
import Foundation
import PostgresStorage

struct MigrateToPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-to-postgres",
        abstract: "Copy this school's SQLite database into an empty PostgreSQL schema and prove the copy: row count and checksum per table.",
        discussion: """
            The copy reads one consistent snapshot; what parents do after it is not in the copy, so stop the daemon, \
            copy, point the school's database at the schema and start it again (the copy of a school's year takes \
            seconds). The password comes from the URL or, better, from PGPASSWORD (a command line is visible to \
            other users).
            """)
    @OptionGroup var locations: Locations
    @Argument(help: "The schema to copy into: postgres://user@host:5432/database?schema=name (sslmode=require for TLS).") var to: String

    func run() async throws {
        var location: PostgresLocation
        do { location = try PostgresLocation(url: to) } catch { throw refusal("The address \(error.description).") }
        if location.password == nil, let password = ProcessInfo.processInfo.environment["PGPASSWORD"], !password.isEmpty { location.password = password }
        let runtime = try await locations.runtime()
        let logger = try makeLogger()
        let tables: [SQLiteToPostgres.Table]
        do {
            tables = try await SQLiteToPostgres.copy(from: runtime.database, to: location, logger: logger)
        } catch let refused as SQLiteToPostgres.Refusal {
            throw refusal("Nothing copied: \(refused).")
        } catch {
            throw refusal("Nothing copied: \(location) could not be reached or refused the copy (\(postgresFailureReason(error))).")
        }
        let width = tables.map(\.name.count).max() ?? 0
        for table in tables {
            print("  \(table.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(String(table.rows).leftPadded(to: 7))  \(table.checksum.prefix(16))")
        }
        print("Copied \(tables.map(\.rows).reduce(0, +)) rows in \(tables.count) tables to \(location); every table's rows and checksum match.")
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
