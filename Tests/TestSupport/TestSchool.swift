import App
import Foundation
import Logging
import SamenspraakCore
import SchoolSetup
import Storage

/// The repository's own `conversations/` and `locales/`, found from this file's path (not the working directory).
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let conversations = root.appendingPathComponent("conversations")
    public static let locales = root.appendingPathComponent("locales")
}

/// A fresh temporary folder, removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("samenspraak-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A demo school in a temporary folder with a real database (`TestDatabase`) and a movable clock, loaded like the daemon loads it.
public struct TestSchool: Sendable {
    /// Monday 23 November 2026, 10:00 in Amsterdam: the demo's talks start the next Monday.
    public static let start = Date(timeIntervalSince1970: 1_795_424_400)
    public let directory: TemporaryDirectory
    public let clock: ManualClock
    public let runtime: Runtime

    public init(households: Int = 45, port: Int = 0, directory: TemporaryDirectory = TemporaryDirectory(), clock: ManualClock = ManualClock(TestSchool.start),
                staffToken: String? = nil, metricsToken: String? = nil, translation: TranslationSettings? = nil) throws {
        self.directory = directory
        self.clock = clock
        let configuration = AppConfiguration(databasePath: TestDatabase.setting(for: directory), schoolFile: directory.path("school.yaml"),
                                             conversationsDirectory: Repository.conversations.path, localesDirectory: Repository.locales.path,
                                             port: port, publicURL: "http://127.0.0.1:\(port)", staffToken: staffToken,
                                             metricsToken: metricsToken, translation: translation)
        let roster = try DemoSetup.prepare(configuration: configuration, households: households, now: clock.now())
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        runtime = try Runtime.load(configuration, clock: clock, logger: logger)
        if try runtime.database.readNow({ try $0.householdCount() }) == 0 {
            _ = try RosterImporter.importFile(path: roster, school: runtime.school, database: runtime.database)
        }
    }

    /// Reopens the same folder, as a restarted daemon would.
    public func restarted() throws -> TestSchool { try TestSchool(directory: directory, clock: clock) }

    /// The invite code of the first household with at least `children` children (and, if asked, whose child also has a second household).
    public func household(children: Int = 1) throws -> (id: Int64, code: String) {
        try runtime.database.readNow { tx in
            for household in try tx.households() where try tx.children(household: household.id ?? 0).count >= children {
                return (household.id ?? 0, household.inviteCode)
            }
            throw TestSchoolError.noSuchHousehold
        }
    }
}

extension TestSchool {
    /// The demo school with a preference round instead of first come, first served: households answer from yesterday
    /// until two days from the start; after the plan is published they move and cancel until the demo's old closing.
    public static func preferenceRound(households: Int = 20, separated: SeparatedHouseholdsPolicy = .separateTalks,
                                       nudges: [Date]? = nil) throws -> TestSchool {
        let directory = TemporaryDirectory()
        var demo = DemoSchool(households: households, now: start)
        demo.school.booking.changesUntil = demo.school.booking.closes
        demo.school.booking.closes = start + 2 * 86_400
        demo.school.booking.nudges = nudges
        demo.school.booking.round = .preferenceRound
        demo.school.booking.separatedHouseholds = separated
        try SchoolFileWriter.yaml(demo.school).write(toFile: directory.path("school.yaml"), atomically: true, encoding: .utf8)
        try SchoolFileWriter.csv(demo.roster).write(toFile: directory.path("roster.csv"), atomically: true, encoding: .utf8)
        return try TestSchool(households: households, directory: directory)
    }
}

public enum TestSchoolError: Error { case noSuchHousehold }
