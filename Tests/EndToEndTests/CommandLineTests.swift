import Foundation
import Testing
import TestSupport

/// The `samenspraak` binary as staff use it: refusals name the reason on stderr and exit with 1, changing nothing.
@Suite struct CommandLineTests {
    static let executable = Repository.root.appendingPathComponent(".build/debug/samenspraak")

    /// Runs the binary; returns its exit status, stdout and stderr.
    func run(_ arguments: [String], data: TemporaryDirectory, environment: [String: String] = [:]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments + ["--data", data.url.path, "--conversations", Repository.conversations.path, "--locales", Repository.locales.path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment.merging(["LOG_LEVEL": "critical"]) { old, _ in old }) { _, new in new }
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, out, err)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable.path), "needs the built samenspraak binary"))
    func planningAReceptionRefusesBadInputWithTheReason() throws {
        let data = TemporaryDirectory()
        #expect(try run(["demo", "--no-serve", "--households", "20"], data: data).status == 0)
        let year = Calendar.current.component(.year, from: Date()) + 1
        for (arguments, reason) in [(["--group", "g9", "--date", "\(year)-01-12", "--from", "15:00", "--to", "16:00"], "there is no group 'g9' in the school file"),
                                    (["--group", "g1", "--date", "\(year)-01-12", "--from", "16:00", "--to", "15:00"], "the reception ends (15:00) before it starts (16:00)"),
                                    (["--group", "g1", "--date", "2020-01-10", "--from", "15:00", "--to", "16:00"], "2020-01-10 15:00 is in the past")] {
            let result = try run(["receptions", "plan"] + arguments, data: data)
            #expect(result.status == 1 && result.errors == "Nothing changed: \(reason).\n")
        }
        let planned = try run(["receptions", "plan", "--group", "g1", "--date", "\(year)-01-12", "--from", "15:00", "--to", "16:00"], data: data)
        #expect(planned.status == 0 && planned.output == "Planned g1-\(year)-01-12.\n")
        #expect(try run(["receptions", "list"], data: data).output.contains("g1-\(year)-01-12  Groep 1/2  \(year)-01-12 15:00"))
        #expect(try run(["receptions", "cancel", "nope"], data: data).errors == "There is no reception 'nope' to cancel.\n")

        // A family's data: exported as JSON, erased only with --yes, and both are in the audit log.
        let export = try run(["household", "export", "H00001"], data: data)
        #expect(export.status == 0 && export.output.contains(#""household" : "H00001""#))
        #expect(try run(["household", "erase", "H00001"], data: data).errors == "Erasing cannot be undone; add --yes to confirm.\n")
        #expect(try run(["household", "erase", "H00001", "--yes"], data: data).output.hasPrefix("Erased H00001:"))
        let audit = try run(["household", "audit"], data: data).output
        #expect(audit.contains("  erase  household H00001") && audit.contains("  export  household H00001"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable.path), "needs the built samenspraak binary"))
    func aConfigurationFileAndTheEnvironmentAreCheckedAndEachProblemNamesItsSource() throws {
        let data = TemporaryDirectory()
        #expect(try run(["demo", "--no-serve", "--households", "5"], data: data).status == 0)
        let config = data.path("samenspraak.yaml")
        try "# the school's daemon\nport: 8080\nprot: 8081\ntelegram_per_second: fast\n".write(toFile: config, atomically: true, encoding: .utf8)
        let wrong = try run(["invites", "--config", config], data: data)
        #expect(wrong.status == 1)
        #expect(wrong.errors == """
            \(config):3: unknown key "prot" (did you mean "port"?)
            \(config):4: telegram_per_second must be a whole number from 1 to 1000, not "fast"

            """)
        #expect(wrong.output.isEmpty)

        try "school: elsewhere/school.yaml\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try run(["coverage", "--config", config], data: data).errors == "\(config):1: school names \"\(data.path("elsewhere/school.yaml"))\", which does not exist\n")
        let badPort = try run(["serve"], data: data, environment: ["SAMENSPRAAK_PORT": "80a"])
        #expect(badPort.status == 1 && badPort.errors == "SAMENSPRAAK_PORT: must be a whole number from 1 to 65535 (0: any free port), not \"80a\"\n")
        // The file names the bot, the environment has no token: the daemon refuses rather than hand out dead links.
        try "telegram_bot: MySchoolBot\n".write(toFile: config, atomically: true, encoding: .utf8)
        let noToken = try run(["serve", "--config", config], data: data, environment: ["SAMENSPRAAK_TELEGRAM_TOKEN": ""])
        #expect(noToken.errors == "\(config):1: telegram_bot is set but there is no token: set SAMENSPRAAK_TELEGRAM_TOKEN or telegram_token_file\n")
        // Fine for the invitation letters, which only need the bot's name.
        #expect(try run(["invites", "--config", config], data: data).output.contains("https://t.me/MySchoolBot?start="))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable.path), "needs the built samenspraak binary"))
    func backupCopiesTheDatabaseAndRefusesToOverwriteIt() throws {
        let data = TemporaryDirectory()
        #expect(try run(["demo", "--no-serve", "--households", "5"], data: data).status == 0)
        let target = data.path("backup.sqlite")
        let first = try run(["backup", target], data: data)
        #expect(first.status == 0)
        #expect(first.output.hasPrefix("Backed up \(data.path("samenspraak.sqlite")) to \(target): "))
        #expect(first.output.contains(/\n  household +\d+\n/))
        let again = try run(["backup", target], data: data)
        #expect(again.status == 1 && again.errors == "No backup made: \(target) already exists; add --force to replace it.\n")
        #expect(try run(["backup", target, "--force"], data: data).status == 0)
        let missing = try run(["backup", data.path("other.sqlite"), "--database", data.path("none.sqlite")], data: data)
        #expect(missing.status == 1 && missing.errors == "No backup made: There is no database at \(data.path("none.sqlite")) (see --database or the configuration's database).\n")
        #expect(try run(["backup", data.path("no/folder/b.sqlite")], data: data).errors == "No backup made: The folder \(data.path("no/folder")) does not exist.\n")
    }
}
