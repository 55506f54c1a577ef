import Foundation
import SamenspraakCore
import SchoolSetup

/// Writes a generated demo school (school file and roster CSV) next to the database, once.
public enum DemoSetup {
    /// Creates `school.yaml` and `roster.csv` in the school file's folder unless the school file exists;
    /// returns the roster's path (to import while the database is still empty).
    public static func prepare(configuration: AppConfiguration, households: Int, now: Date = Date()) throws -> String {
        let schoolURL = URL(fileURLWithPath: configuration.schoolFile)
        let rosterURL = schoolURL.deletingLastPathComponent().appendingPathComponent("roster.csv")
        guard !FileManager.default.fileExists(atPath: schoolURL.path) else { return rosterURL.path }
        let demo = DemoSchool(households: households, now: now)
        try FileManager.default.createDirectory(at: schoolURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try SchoolFileWriter.csv(demo.roster).write(to: rosterURL, atomically: true, encoding: .utf8)
        try SchoolFileWriter.yaml(demo.school).write(to: schoolURL, atomically: true, encoding: .utf8)
        return rosterURL.path
    }
}
