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
        let source = try await locations.loaded().configuration.databasePath
        let report: DatabaseBackup.Report
        do { report = try DatabaseBackup.copy(source, to: file, replacing: force) } catch let failure as DatabaseBackup.Failure {
            throw refusal("No backup made: \(failure)")
        }
        print("Backed up \(source) to \(file): \(ByteCountFormatter.string(fromByteCount: report.bytes, countStyle: .file)).")
        printTableCounts(report.tables, indent: "  ")
    }
}
