import App
import ArgumentParser
import DataFiles
import Foundation
import SamenspraakCore
import SchoolSetup
import Storage

// The commands for the school year's end: deleting old messages (retention).

struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete the conversation messages older than the retention period (the daemon does this every night).")
    @OptionGroup var locations: Locations
    @Flag(help: "Only count what would be deleted.") var dryRun = false

    func run() async throws {
        let runtime = try await locations.runtime()
        let now = Date()
        let cutoff = runtime.configuration.retention.cutoff(now: now, school: runtime.school)
        let calendar = runtime.school.calendar
        let before = "from before \(calendar.dayKey(cutoff)) \(calendar.clockTime(cutoff))"
        if dryRun {
            let counts = try runtime.database.readNow { try $0.purgeableMessages(before: cutoff) }
            print("Would delete the messages \(before):\n  inbox (received)  \(counts.inbox)\n  outbox (sent)     \(counts.outbox)\nNothing changed.")
            return
        }
        let counts = try await MessagePurge.run(database: runtime.database, before: cutoff, actor: Household.actor, now: now)
        print("Deleted the messages \(before):\n  inbox (received)  \(counts.inbox)\n  outbox (sent)     \(counts.outbox)")
    }
}
