import App
import ArgumentParser
import DataFiles
import Foundation
import SamenspraakCore
import SchoolSetup
import Storage

// The commands for the school year's end: deleting old messages (retention) and the rollover to a new roster.

struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete the conversation messages older than the retention period and the rollover's archives older than archive_years "
            + "(the daemon does this every night).")
    @OptionGroup var locations: Locations
    @Flag(help: "Only count the messages and list the archives that would be deleted.") var dryRun = false

    func run() async throws {
        let runtime = try await locations.runtime()
        let now = Date()
        let cutoff = runtime.configuration.retention.cutoff(now: now, school: runtime.school)
        let calendar = runtime.school.calendar
        let before = "from before \(calendar.dayKey(cutoff)) \(calendar.clockTime(cutoff))"
        let years = runtime.configuration.archiveYears
        let expiry = "the web chat replies no browser fetched within \(Retention.unfetchedWebChatDays) days"
        if dryRun {
            let counts = try runtime.database.readNow { try $0.purgeableMessages(before: cutoff, unfetchedBefore: MessagePurge.unfetchedCutoff(now: now)) }
            print("Would delete the messages \(before):\n  inbox (received)  \(counts.inbox)\n  outbox (sent)     \(counts.outbox)")
            print("Would mark expired \(expiry): \(counts.expired)")
            printArchives("Would delete", try ArchivePurge.due(in: runtime.configuration.archiveFolder, years: years, now: now, calendar: calendar), years: years)
            print("Nothing changed.")
            return
        }
        let counts = try await MessagePurge.run(database: runtime.database, before: cutoff, actor: Household.actor, now: now)
        print("Deleted the messages \(before):\n  inbox (received)  \(counts.inbox)\n  outbox (sent)     \(counts.outbox)")
        print("Marked expired \(expiry): \(counts.expired)")
        printArchives("Deleted", try await ArchivePurge.run(in: runtime.configuration.archiveFolder, years: years, database: runtime.database,
                                                            actor: Household.actor, now: now, calendar: calendar), years: years)
    }

    /// The archives deleted (or to be), one per line, or "none".
    func printArchives(_ verb: String, _ archives: [ArchivePurge.Archive], years: Int) {
        print("\(verb) the archives kept \(years) year\(years == 1 ? "" : "s") after their school year ended:\(archives.isEmpty ? " none" : "")")
        for archive in archives { print("  \(archive.path)  (school year \(archive.schoolYear), due since \(archive.deletedFrom))") }
    }
}

struct Rollover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "End the school year: archive the database, clear the old year's talks, answers, agreements, receptions, jobs and "
            + "messages, and load the new roster (families still at school keep their chats and language; families that left are erased).")
    @OptionGroup var locations: Locations
    @Option(help: "The new school year's roster CSV.") var roster: String
    @Flag(help: "Do it; without this the rollover is only rehearsed and nothing changes.") var yes = false

    func run() async throws {
        let configuration = try await locations.loaded().configuration
        // Not `Runtime.load`: that brings the talk times in line with the school file, and a rehearsal changes nothing.
        let (school, database, newRoster) = try await reportingFileIssues {
            let school = try SchoolFile.load(url: URL(fileURLWithPath: configuration.schoolFile))
            let newRoster = try RosterImporter.read(path: roster, school: school)
            return (school, try configuration.databaseLocation.open(logger: try makeLogger()), newRoster)
        }
        let summary: YearRollover.Summary
        do {
            summary = try YearRollover.run(roster: newRoster, database: database, archiveFolder: configuration.archiveFolder, school: school,
                                           actor: Household.actor, apply: yes, now: Date())
        } catch let error as YearRollover.ArchiveExists {
            throw refusal(error.description)
        }
        print(yes ? "Rolled over to \(roster):" : "Rehearsal of the rollover to \(roster):")
        print("  archive of the old year: \(summary.archive)")
        print("  rows cleared per table:")
        printTableCounts(summary.cleared, indent: "    ")
        print("  households: \(summary.householdsKept) kept with their chats and language, \(summary.householdsAdded) added "
              + "(their invite codes: samenspraak invites), \(summary.householdsRemoved) removed with all their data")
        print("  children: \(summary.children) on the new roster, \(summary.childrenRemoved) left")
        guard yes else {
            print("Nothing changed. Add --yes to roll over.")
            return
        }
        print("Restart the daemon now: it reads the school file (\(configuration.schoolFile)) only at start, and plans the new year's "
              + "talk times, nudges and receptions from it then.")
    }
}
