import App
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// The rollover's archives in the school's archive folder (beside its SQLite file, or on PostgreSQL beside its school
/// file): those past `archive_years` are deleted and audited, others stay.
@Suite struct ArchivePurgeTests {
    @Test func archivesAreDeletedOnTheFirstOfAugustTheirYearsAfterTheirSchoolYearEndedAndAudited() async throws {
        let school = try TestSchool(households: 5)
        let database = school.runtime.database
        let calendar = school.runtime.school.calendar
        let folder = school.runtime.configuration.archiveFolder
        #expect(try ArchivePurge.due(in: folder, years: 1, now: school.clock.now(), calendar: calendar).isEmpty, "no archive folder yet")

        // Archives as the rollover makes them, one left open by sqlite3 (its journal beside it), and files that are no archives.
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for year in ["2024-2025", "2025-2026", "2026-2027"] {
            try AppDatabase.open(path: folder.appendingPathComponent("\(year).sqlite").path).close()
        }
        for other in ["2025-2026.sqlite-wal", "notes.txt", "2025-2027.sqlite"] {
            try Data("x".utf8).write(to: folder.appendingPathComponent(other))
        }
        func remaining() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() }
        func at(_ day: String) -> Date { SchoolDay(day)!.at(minuteOfDay: 3 * 60, in: calendar) }

        // The day before 1 August 2027 only 2024-2025 has had its year; kept two years, not even that one.
        #expect(try ArchivePurge.due(in: folder, years: 1, now: at("2027-07-31"), calendar: calendar).map(\.schoolYear) == ["2024-2025"])
        #expect(try ArchivePurge.due(in: folder, years: 2, now: at("2027-07-31"), calendar: calendar).isEmpty)
        let due = try ArchivePurge.due(in: folder, years: 1, now: at("2027-08-01"), calendar: calendar)
        #expect(due == [
            .init(path: folder.appendingPathComponent("2024-2025.sqlite").path, schoolYear: "2024-2025", deletedFrom: SchoolDay("2026-08-01")!),
            .init(path: folder.appendingPathComponent("2025-2026.sqlite").path, schoolYear: "2025-2026", deletedFrom: SchoolDay("2027-08-01")!),
        ])
        #expect(try remaining().count == 6, "finding them deletes nothing")

        let deleted = try await ArchivePurge.run(in: folder, years: 1, database: database, actor: "retention", now: at("2027-08-01"),
                                                 calendar: calendar)
        #expect(deleted == due)
        #expect(try remaining() == ["2025-2027.sqlite", "2026-2027.sqlite", "notes.txt"])
        let audit = try database.readNow { try $0.auditLog(limit: 10) }.filter { $0.action == "delete archive" }.map(\.subject)
        #expect(audit.sorted() == ["archive/2024-2025.sqlite (school year 2024-2025, kept 1 year after it ended)",
                                   "archive/2025-2026.sqlite (school year 2025-2026, kept 1 year after it ended)"])
        // Twice is once.
        #expect(try await ArchivePurge.run(in: folder, years: 1, database: database, actor: "retention", now: at("2027-08-02"),
                                           calendar: calendar).isEmpty)
    }
}
