import Foundation
import Testing
import TestSupport

/// The `samenspraak` binary as staff use it: refusals name the reason on stderr and exit with 1, changing nothing.
@Suite struct CommandLineTests {
    static let executable = Repository.root.appendingPathComponent(".build/debug/samenspraak")

    /// Runs the binary; returns its exit status, stdout and stderr.
    func run(_ arguments: [String], data: TemporaryDirectory, environment: [String: String] = [:],
             locales: String = Repository.locales.path) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments + ["--data", data.url.path, "--conversations", Repository.conversations.path, "--locales", locales]
        process.environment = childEnvironment(environment)
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
    func sigtermStopsAnIdleDaemonAtOnce() async throws {
        let data = TemporaryDirectory()
        #expect(try run(["demo", "--no-serve", "--households", "5"], data: data).status == 0)
        let daemon = Process()
        daemon.executableURL = Self.executable
        daemon.arguments = ["serve", "--port", "0", "--data", data.url.path, "--conversations", Repository.conversations.path, "--locales", Repository.locales.path]
        daemon.environment = childEnvironment([:])
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        try await Task.sleep(for: .seconds(2))   // started, and every loop asleep (the scheduler for up to a minute)
        daemon.terminate()
        let asked = ContinuousClock.now
        while daemon.isRunning, ContinuousClock.now - asked < .seconds(20) { try await Task.sleep(for: .milliseconds(50)) }
        let took = ContinuousClock.now - asked
        if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) }
        daemon.waitUntilExit()
        #expect(took < .seconds(5), "a sleeping loop must wake for a graceful stop (took \(took))")
        #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0)
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
    func checkReportsEveryShippedLocaleCompleteAndFailsOnAGapNamingFileAndKey() throws {
        let data = TemporaryDirectory()
        let shipped = try run(["check"], data: data)
        let languages = ["ar", "en", "es", "fa", "nl", "pl", "so", "ti", "tr", "uk"]
        let keys = try #require(shipped.output.firstMatch(of: /Locales \((\d+) keys in the base language\):/)?.1)
        #expect(shipped.status == 0 && shipped.errors.isEmpty)
        #expect(shipped.output == "Locales (\(keys) keys in the base language):\n" + languages.map { "  \($0): \(keys)/\(keys) keys\n" }.joined()
                + "All good: school file, flows and locales are complete and consistent.\n")

        // A copy of the locales with one key left out of tr.yaml and another's placeholder misspelt.
        let locales = data.url.appendingPathComponent("locales")
        try FileManager.default.copyItem(at: Repository.locales, to: locales)
        let turkish = locales.appendingPathComponent("tr.yaml")
        var lines = try String(contentsOf: turkish, encoding: .utf8).components(separatedBy: "\n")
        lines.remove(at: try #require(lines.firstIndex { $0.hasPrefix("    taken: ") }))
        let confirmed = try #require(lines.firstIndex { $0.hasPrefix("    confirmed: ") })
        lines[confirmed] = lines[confirmed].replacingOccurrences(of: "{ics_url}", with: "{ics_link}")
        try lines.joined(separator: "\n").write(to: turkish, atomically: true, encoding: .utf8)
        let base = locales.appendingPathComponent("nl.yaml").path
        let baseLines = try String(contentsOfFile: base, encoding: .utf8).components(separatedBy: "\n")
        let baseConfirmed = try #require(baseLines.firstIndex { $0.hasPrefix("    confirmed: ") }) + 1
        let baseTaken = try #require(baseLines.firstIndex { $0.hasPrefix("    taken: ") }) + 1

        let gap = try run(["check"], data: data, locales: locales.path)
        #expect(gap.status == 1)
        #expect(gap.output.contains("  tr: \(Int(keys)! - 2)/\(keys) keys — 3 problems\n") && gap.output.contains("  so: \(keys)/\(keys) keys\n"))
        #expect(gap.errors == """
            \(turkish.path):\(confirmed + 1): message 'booking.confirmed' uses the unknown placeholder {ics_link} (\(base):\(baseConfirmed) has {child}, {day}, {ics_url}, {place}, {teacher}, {time})
            \(turkish.path):\(confirmed + 1): message 'booking.confirmed' leaves out the placeholder {ics_url} (\(base):\(baseConfirmed))
            \(turkish.path): missing translation of 'booking.taken' (\(base):\(baseTaken))
            3 problem(s) found.

            """)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable.path), "needs the built samenspraak binary"))
    func thePlanningRoundRefusesWhatCannotBeDoneAndShowsTheProposal() throws {
        let data = TemporaryDirectory()
        #expect(try run(["demo", "--no-serve", "--households", "20"], data: data).status == 0)
        #expect(try run(["plan"], data: data).errors == "Cannot plan: the school file's booking round is first come, first served ('booking.round: first-come').\n")
        let schoolFile = data.url.appendingPathComponent("school.yaml")
        let text = try String(contentsOf: schoolFile, encoding: .utf8)
        // The round closes in an hour, before the demo's talks (from next Monday) start.
        let formatter = DateFormatter()
        (formatter.dateFormat, formatter.timeZone) = ("yyyy-MM-dd HH:mm", TimeZone(identifier: "Europe/Amsterdam"))
        let closes = try #require(text.split(separator: "\n").first { $0.hasPrefix("  closes: ") })
        try text.replacingOccurrences(of: closes, with: "  closes: \"\(formatter.string(from: Date() + 3600))\"")
            .replacingOccurrences(of: "booking:\n", with: "booking:\n  round: preference-round\n  changes_until: \"2099-01-01 12:00\"\n")
            .write(to: schoolFile, atomically: true, encoding: .utf8)
        #expect(try run(["plan"], data: data).errors.hasPrefix("Cannot plan: the round is still open until "))
        #expect(try run(["plan", "show"], data: data).errors == "There is no proposal yet: run 'samenspraak plan'.\n")
        let proposal = try run(["plan", "--early"], data: data)
        #expect(proposal.status == 0 && proposal.output.hasPrefix("Round ") && proposal.output.contains("not published"))
        #expect(proposal.output.contains("talks have a time: 0 good, 0 possible,"))
        let pin = try run(["plan", "pin", "1001", "2020-01-01 09:00"], data: data)
        #expect(pin.status == 1 && pin.errors.hasPrefix("There is no talk time 2020-01-01 09:00 of 1001's group's teachers"))
        #expect(try run(["plan", "publish"], data: data).errors.hasPrefix("Cannot publish: the round is still open until "))
        #expect(try run(["household", "audit"], data: data).output.contains("  plan round  "))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable.path), "needs the built samenspraak binary"))
    func purgeSaysWhatItDeletesAndIsAudited() throws {
        let data = TemporaryDirectory()
        #expect(try run(["demo", "--no-serve", "--households", "20"], data: data).status == 0)
        // An old year's archive, and this year's, which stays.
        let year = Calendar.current.component(.year, from: Date())
        let (old, current) = (data.path("archive/2020-2021.sqlite"), data.path("archive/\(year)-\(year + 1).sqlite"))
        try FileManager.default.createDirectory(atPath: data.path("archive"), withIntermediateDirectories: true)
        for path in [old, current] { try Data("x".utf8).write(to: URL(fileURLWithPath: path)) }
        let rehearsedPurge = try run(["purge", "--dry-run"], data: data)
        #expect(rehearsedPurge.status == 0 && rehearsedPurge.output.hasPrefix("Would delete the messages from before ")
                && rehearsedPurge.output.hasSuffix("""
                    Would mark expired the web chat replies no browser fetched within 7 days: 0
                    Would delete the archives kept 1 year after their school year ended:
                      \(old)  (school year 2020-2021, due since 2022-08-01)
                    Nothing changed.

                    """))
        #expect(FileManager.default.fileExists(atPath: old))
        let purge = try run(["purge", "--retention-days", "30"], data: data)
        #expect(purge.status == 0 && purge.output.contains("inbox (received)  0\n  outbox (sent)     0\n"))
        #expect(purge.output.hasSuffix("Deleted the archives kept 1 year after their school year ended:\n  \(old)  (school year 2020-2021, due since 2022-08-01)\n"))
        #expect(!FileManager.default.fileExists(atPath: old) && FileManager.default.fileExists(atPath: current))
        #expect(try run(["purge", "--retention-days", "3"], data: data).errors.contains("--retention-days: must be a whole number of days, at least 7"))
        #expect(try run(["purge", "--archive-years", "0"], data: data).errors.contains("--archive-years: must be a whole number of years from 1 to 10, not \"0\""))
        let audit = try run(["household", "audit"], data: data).output
        #expect(audit.contains("  purge messages  0 received, 0 sent from before "))
        #expect(audit.contains("  delete archive  archive/2020-2021.sqlite (school year 2020-2021, kept 1 year after it ended)"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable.path), "needs the built samenspraak binary"))
    func rolloverIsRehearsedWithoutYesAndRefusesABadRosterOrAnExistingArchiveChangingNothing() throws {
        let data = TemporaryDirectory()
        #expect(try run(["demo", "--no-serve", "--households", "20"], data: data).status == 0)

        // A bad roster is named by file and line, and nothing changes: no archive, the same families and talks.
        let roster = data.path("roster.csv")
        let lines = try String(contentsOfFile: roster, encoding: .utf8).split(separator: "\n").map(String.init)
        let bad = data.path("bad.csv")
        var fields = lines[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[3] = "g99"
        try ([lines[0], lines[1], fields.joined(separator: ",")] + lines.dropFirst(3)).joined(separator: "\n").write(toFile: bad, atomically: true, encoding: .utf8)
        let before = try ["invites", "coverage", "jobs"].map { try run([$0], data: data).output }
        let refused = try run(["rollover", "--roster", bad, "--yes"], data: data)
        #expect(refused.status == 1 && refused.errors.hasPrefix("\(bad):3: the group 'g99' is not in the school file"))
        let archives = data.url.appendingPathComponent("archive")
        #expect(!FileManager.default.fileExists(atPath: archives.path))

        // Without --yes: what it would do, and nothing done.
        let rehearsal = try run(["rollover", "--roster", roster], data: data)
        #expect(rehearsal.status == 0 && rehearsal.output.hasPrefix("Rehearsal of the rollover to \(roster):")
                && rehearsal.output.hasSuffix("Nothing changed. Add --yes to roll over.\n"))
        #expect(!FileManager.default.fileExists(atPath: archives.path))
        #expect(try ["invites", "coverage", "jobs"].map { try run([$0], data: data).output } == before)

        let done = try run(["rollover", "--roster", roster, "--yes"], data: data)
        #expect(done.status == 0 && done.output.contains("households: 21 kept with their chats and language, 0 added")
                && done.output.contains("Restart the daemon now"))
        let archived = try FileManager.default.contentsOfDirectory(atPath: archives.path)
        #expect(archived.count == 1 && archived[0].hasSuffix(".sqlite") && done.output.contains("archive of the old year: \(archives.path)/\(archived[0])"))
        #expect(try run(["invites"], data: data).output == before[0])   // the same families with the same invite codes
        let again = try run(["rollover", "--roster", roster, "--yes"], data: data)
        #expect(again.status == 1 && again.errors == "\(archives.path)/\(archived[0]) exists already: the year was archived before. Nothing changed.\n")
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
            \(config):4: telegram_per_second must be a whole number from 1 to 10000, not "fast"

            """)
        #expect(wrong.output.isEmpty)

        try "school: elsewhere/school.yaml\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try run(["coverage", "--config", config], data: data).errors == "\(config):1: school names \"\(data.path("elsewhere/school.yaml"))\", which does not exist\n")
        let badPort = try run(["serve"], data: data, environment: ["SAMENSPRAAK_PORT": "80a"])
        #expect(badPort.status == 1 && badPort.errors == "SAMENSPRAAK_PORT: must be a whole number from 1 to 65535 (0: any free port), not \"80a\"\n")
        let misspelled = try run(["serve"], data: data, environment: ["SAMENSPRAAK_RETENTON_DAYS": "14"])
        #expect(misspelled.status == 1 && misspelled.errors == "SAMENSPRAAK_RETENTON_DAYS: is not a setting (did you mean SAMENSPRAAK_RETENTION_DAYS?)\n")
        // The file names the bot, the environment has no token: the daemon refuses rather than hand out dead links.
        try "telegram_bot: MySchoolBot\n".write(toFile: config, atomically: true, encoding: .utf8)
        let noToken = try run(["serve", "--config", config], data: data, environment: ["SAMENSPRAAK_TELEGRAM_TOKEN": ""])
        #expect(noToken.errors == "\(config):1: telegram_bot is set but there is no token: set SAMENSPRAAK_TELEGRAM_TOKEN or telegram_token_file\n")
        // Fine for the invitation letters, which only need the bot's name.
        #expect(try run(["invites", "--config", config], data: data).output.contains("https://t.me/MySchoolBot?start="))

        // With SMS and Matrix, the letters also say which number to text the code to and which bot to write to.
        let channels = ["SAMENSPRAAK_PUBLIC_URL": "https://ouders.example.nl", "SAMENSPRAAK_SMS_PROVIDER": "twilio",
                        "SAMENSPRAAK_TWILIO_ACCOUNT_SID": "AC" + String(repeating: "0", count: 32), "SAMENSPRAAK_TWILIO_AUTH_TOKEN": "twilio-secret",
                        "SAMENSPRAAK_TWILIO_FROM": "+3197010203040", "SAMENSPRAAK_MATRIX_HOMESERVER": "https://matrix.example.nl",
                        "SAMENSPRAAK_MATRIX_USER": "@samenspraak:example.nl", "SAMENSPRAAK_MATRIX_ACCESS_TOKEN": "matrix-secret"]
        let letters = try run(["invites"], data: data, environment: channels)
        #expect(letters.status == 0, "\(letters.errors)")
        let lines = letters.output.split(separator: "\n")
        #expect(lines.first == "household,guardians,invite_code,link,telegram_link,whatsapp_link,sms_number,matrix_link")
        #expect(lines.dropFirst().allSatisfy { $0.hasSuffix(",,,+3197010203040,https://matrix.to/#/@samenspraak:example.nl") })
        let teachers = try run(["invites", "--staff"], data: data, environment: channels).output
        #expect(teachers.hasPrefix("teacher,name,invite_code,link,telegram_link,whatsapp_link,sms_number,matrix_link\n"))
        #expect(!letters.output.contains("twilio-secret") && !letters.output.contains("matrix-secret"))
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
