import Foundation
import Testing
import TestSupport

/// The `samenspraak` binary as staff use it: refusals name the reason on stderr and exit with 1, changing nothing.
@Suite struct CommandLineTests {
    static let executable = Repository.root.appendingPathComponent(".build/debug/samenspraak")

    /// Runs the binary; returns its exit status, stdout and stderr.
    func run(_ arguments: [String], data: TemporaryDirectory) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments + ["--data", data.url.path, "--conversations", Repository.conversations.path, "--locales", Repository.locales.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["LOG_LEVEL": "critical"]) { _, new in new }
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
    func purgeSaysWhatItDeletesAndIsAudited() throws {
        let data = TemporaryDirectory()
        #expect(try run(["demo", "--no-serve", "--households", "20"], data: data).status == 0)
        let rehearsedPurge = try run(["purge", "--dry-run"], data: data)
        #expect(rehearsedPurge.status == 0 && rehearsedPurge.output.hasPrefix("Would delete the messages from before ")
                && rehearsedPurge.output.hasSuffix("Nothing changed.\n"))
        let purge = try run(["purge", "--retention-days", "30"], data: data)
        #expect(purge.status == 0 && purge.output.contains("inbox (received)  0\n  outbox (sent)     0\n"))
        #expect(try run(["purge", "--retention-days", "3"], data: data).errors.contains("--retention-days must be at least 7"))
        #expect(try run(["household", "audit"], data: data).output.contains("  purge messages  0 received, 0 sent from before "))
    }
}
