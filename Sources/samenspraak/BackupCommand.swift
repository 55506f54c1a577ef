import App
import ArgumentParser
import Foundation
import Storage

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to FILE, consistently, also while the daemon runs; prints the size and each table's rows.")
    @OptionGroup var locations: Locations
    @Argument(help: "The new backup file.") var file: String
    @Flag(help: "Replace FILE if it exists.") var force = false

    func run() async throws {
        let location = try await locations.loaded().configuration.databaseLocation
        guard let source = location.sqlitePath else {
            throw refusal("No backup made: the database is on PostgreSQL (\(location)); back it up with pg_dump (README, \"A school board\").")
        }
        let report: DatabaseBackup.Report
        do { report = try DatabaseBackup.copy(source, to: file, replacing: force) } catch let failure as DatabaseBackup.Failure {
            throw refusal("No backup made: \(failure)")
        }
        print("Backed up \(source) to \(file): \(ByteCountFormatter.string(fromByteCount: report.bytes, countStyle: .file)).")
        printTableCounts(report.tables, indent: "  ")
    }
}
