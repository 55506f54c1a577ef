import Dialogue
import Foundation
import SamenspraakCore
import SchoolSetup
import Storage

/// The school-year rollover: the old year is archived as a copy of the whole database, then in one transaction what
/// belonged to it is cleared and the new roster imported. Families still at school keep their chats (no new sign-up)
/// and language; families that left are erased whole; new families get invite codes.
public enum YearRollover {
    public struct Summary: Sendable {
        /// `archive/<school year>.sqlite` next to the database.
        public var archive: String
        public var cleared: [(table: String, rows: Int)]
        public var householdsKept = 0
        public var householdsAdded = 0
        public var householdsRemoved = 0
        public var childrenRemoved = 0
        /// On the new roster.
        public var children = 0
    }

    public struct ArchiveExists: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "\(path) exists already: the year was archived before. Nothing changed." }
    }

    /// Rolls the database over to `roster`; with `apply` false, rehearses it in a transaction that is rolled back and
    /// creates no archive. Refused (nothing changed) when the archive file exists.
    public static func run(roster: Roster, database: AppDatabase, archiveFolder: URL, school: School, actor: String, apply: Bool,
                           now: Date) throws -> Summary {
        let latestTalk = try database.readNow { try $0.latestTalk() } ?? now
        // Named after the year of the talks being archived (a rollover may well run in August, after the year ended).
        let year = SchoolYear.name(containing: SchoolDay(latestTalk, in: school.calendar))
        let archive = archiveFolder.appendingPathComponent("\(year).sqlite").path
        guard !FileManager.default.fileExists(atPath: archive) else { throw ArchiveExists(path: archive) }

        func rollOver(_ tx: Transaction) throws -> Summary {
            var summary = Summary(archive: archive, cleared: try tx.clearSchoolYear { language in Session(language: language).json })
            let before = Set(try tx.households().map(\.key))
            summary.childrenRemoved = try tx.removeChildren(keeping: Set(roster.children.map(\.id)))
            summary.children = try RosterImporter.importRoster(roster, tx: tx, now: now).children
            let leaving = try tx.householdsWithoutChildren()
            for household in leaving { try tx.remove(household: household, makeInviteCode: InviteCode.generate) }
            let after = Set(try tx.households().map(\.key))
            (summary.householdsKept, summary.householdsAdded, summary.householdsRemoved) =
                (after.intersection(before).count, after.subtracting(before).count, leaving.count)
            try tx.audit(actor: actor, action: "school-year rollover",
                         subject: "archived \(year); \(leaving.count) households removed, \(summary.householdsAdded) added", at: now)
            return summary
        }
        guard apply else { return try database.rehearse(rollOver) }
        do {
            // The copy is taken inside the transaction that clears the year: nothing can come in between.
            return try database.write(archivingTo: archive, rollOver)
        } catch {
            try? FileManager.default.removeItem(atPath: archive)  // the year is still there: a new attempt must not be refused
            throw error
        }
    }
}
