import Foundation
import SamenspraakCore
import Storage

/// Deletes the rollover's archives (`<archive folder>/<school year>.sqlite`) once they are older than
/// `archive_years`: every night with the messages, and with `samenspraak purge`. Each deletion is audited.
public enum ArchivePurge {
    public struct Archive: Sendable, Equatable {
        public let path: String
        /// "2026-2027".
        public let schoolYear: String
        /// The day it is deleted from.
        public let deletedFrom: SchoolDay

        public init(path: String, schoolYear: String, deletedFrom: SchoolDay) {
            (self.path, self.schoolYear, self.deletedFrom) = (path, schoolYear, deletedFrom)
        }
    }

    /// The archives due for deletion at `now`, oldest first; none when there is no archive folder.
    public static func due(in folder: URL, years: Int, now: Date, calendar: Calendar) throws -> [Archive] {
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        let today = SchoolDay(now, in: calendar)
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().compactMap { name in
            guard let first = ArchiveRetention.firstYear(ofFile: name) else { return nil }
            let from = ArchiveRetention.deletedFrom(firstYear: first, years: years)
            guard from <= today else { return nil }
            return Archive(path: folder.appendingPathComponent(name).path, schoolYear: "\(first)-\(first + 1)", deletedFrom: from)
        }
    }

    /// Deletes the archives due at `now` (with any SQLite journal beside them), each followed by its audit line.
    public static func run(in folder: URL, years: Int, database: AppDatabase, actor: String, now: Date, calendar: Calendar) async throws -> [Archive] {
        let archives = try due(in: folder, years: years, now: now, calendar: calendar)
        for archive in archives {
            for path in [archive.path, archive.path + "-wal", archive.path + "-shm", archive.path + "-journal"]
            where FileManager.default.fileExists(atPath: path) {
                try FileManager.default.removeItem(atPath: path)
            }
            let subject = "archive/\(archive.schoolYear).sqlite (school year \(archive.schoolYear), kept \(years) year\(years == 1 ? "" : "s") after it ended)"
            try await database.write { try $0.audit(actor: actor, action: "delete archive", subject: subject, at: now) }
        }
        return archives
    }
}
