import App
import Conversations
import ArgumentParser
import DataFiles
import Foundation
import HTTPServer
import Logging
import SamenspraakCore
import SchoolSetup
import Storage

@main
struct Samenspraak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parents and school as partners: book the startgesprek by chat, in the parent's own language.",
        subcommands: [Demo.self, Serve.self, Chat.self, Invites.self, Import.self, Coverage.self, Receptions.self, Household.self, Staff.self, Deliveries.self, Jobs.self, Check.self])
}

/// Paths and addresses shared by every command.
struct Locations: ParsableArguments {
    @Option(help: "Folder for the database and the demo school.") var data = "data"
    @Option(help: "The school file (default: <data>/school.yaml).") var school: String?
    @Option(help: "The SQLite database file (default: <data>/samenspraak.sqlite).") var database: String?
    @Option(help: "Folder with the dialogue flows.") var conversations = "conversations"
    @Option(help: "Folder with the translations.") var locales = "locales"
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Address parents use to reach this daemon, for links (default: http://<host>:<port>).") var publicURL: String?
    @Option(help: "The Telegram bot's username, for deep links. The token comes from SAMENSPRAAK_TELEGRAM_TOKEN only.") var telegramBot: String?
    @Option(name: .customLong("telegram-api-url"), help: "The Telegram Bot API address (a local Bot API server, or a test server).")
    var telegramAPIURL = "https://api.telegram.org"
    @Option(help: "How Telegram updates arrive: polling, or webhook (Telegram POSTs to <public-url>/telegram/webhook).")
    var telegramMode: TelegramSettings.Mode = .polling
    @Option(help: "Seconds between two messages to the same Telegram chat.") var telegramChatInterval = 1.0
    @Option(help: "Telegram messages per second, all chats together.") var telegramPerSecond = 30

    var configuration: AppConfiguration {
        // The token is read from the environment, never from the command line, where `ps` would show it.
        let environment = ProcessInfo.processInfo.environment
        let token = environment["SAMENSPRAAK_TELEGRAM_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return AppConfiguration(databasePath: database ?? "\(data)/samenspraak.sqlite", schoolFile: school ?? "\(data)/school.yaml",
                                conversationsDirectory: conversations, localesDirectory: locales, host: host, port: port, publicURL: publicURL,
                                telegram: token.map { TelegramSettings(token: $0, botName: telegramBot, apiURL: telegramAPIURL, mode: telegramMode,
                                                                      limits: .init(perChatInterval: .milliseconds(Int64(telegramChatInterval * 1000)),
                                                                                    perSecond: telegramPerSecond)) },
                                staffToken: environment["SAMENSPRAAK_STAFF_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

func makeLogger() -> Logger {
    var logger = Logger(label: "samenspraak")
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}

/// Runs `body`, turning data-file problems into a list on stderr and exit code 1.
func reportingFileIssues<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as FileIssues {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode.failure
    } catch let error as FileIssue {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode.failure
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate a demo school (once), print its invite links and serve the web chat.")
    @OptionGroup var locations: Locations
    @Option(help: "Number of households in the generated school (the default gives about 60 children).") var households = 45
    @Flag(help: "Only create the school and print the links; do not start the server.") var noServe = false

    func run() async throws {
        let logger = makeLogger()
        let configuration = locations.configuration
        let runtime = try await reportingFileIssues {
            let roster = try DemoSetup.prepare(configuration: configuration, households: households)
            let runtime = try Runtime.load(configuration, logger: logger)
            if try runtime.database.readNow({ try $0.householdCount() }) == 0, FileManager.default.fileExists(atPath: roster) {
                let counts = try RosterImporter.importFile(path: roster, school: runtime.school, database: runtime.database)
                print("Demo school created in \(locations.data)/: \(counts.children) children in \(counts.households) households.")
            }
            return runtime
        }
        print("Invite links (one per household):")
        for invite in try runtime.invites() { print("  \(invite.household)  \(invite.link)") }
        print("Staff invite links (one per teacher: their agenda and the parents' answers):")
        for invite in try runtime.staffInvites() { print("  \(invite.teacher.name)  \(invite.link)") }
        guard !noServe else { return }
        print("Web chat on \(configuration.publicURL) — open an invite link above in a browser. Stop with Ctrl-C.")
        fflush(nil)  // show the links at once, also when the output goes to a file
        try await runDaemon(runtime, logger: logger)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon for a real school.")
    @OptionGroup var locations: Locations

    func run() async throws {
        let logger = makeLogger()
        let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: logger) }
        try await runDaemon(runtime, logger: logger)
    }
}

struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Have a parent's (or, with a staff invite, a teacher's) conversation in the terminal (stdin/stdout).")
    @OptionGroup var locations: Locations
    @Option(help: "The household's invite code, or a teacher's staff invite code.") var invite: String

    func run() async throws {
        var logger = makeLogger()
        logger.logLevel = .warning
        let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: logger) }
        let lines = AnyIterator { readLine(strippingNewline: true) }
        guard try await TerminalChat(runtime: runtime).run(inviteCode: invite, lines: lines) else {
            FileHandle.standardError.write(Data("Unknown invite code '\(invite)'. `samenspraak invites` lists the codes.\n".utf8))
            throw ExitCode.failure
        }
    }
}

struct Deliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List messages that could not be delivered and parents who blocked the bot, for staff to follow up.")
    @OptionGroup var locations: Locations

    func run() async throws {
        let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: makeLogger()) }
        let (failed, unreachable) = try runtime.database.readNow { tx in (try tx.failedDeliveries(), try tx.unreachableContacts()) }
        let time = ISO8601DateFormatter()
        print("Not delivered (\(failed.count)):")
        for row in failed { print("  \(row.household)  \(row.channel)  \(time.string(from: row.createdAt))  \(row.attempts) attempt(s)  \(row.reason)") }
        print("Unreachable, blocked the bot (\(unreachable.count)):")
        for row in unreachable { print("  \(row.household)  \(row.channel)  since \(time.string(from: row.since))") }
    }
}

struct Coverage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per group: children with a startgesprek booked and held, those without one, and agreed follow-ups not yet done.")
    @OptionGroup var locations: Locations

    func run() async throws {
        let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: makeLogger()) }
        let rows = try await runtime.service.coverage()
        let width = max(5, rows.map(\.name.count).max() ?? 0)
        func cell(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        print(cell("group", width) + "  children  booked  held  not booked  overdue follow-ups")
        for row in rows {
            print(cell(row.name, width) + "  " + [(row.children, 8), (row.booked, 6), (row.held, 4), (row.notBooked, 10), (row.overdueFollowUps, 18)]
                .map { String(repeating: " ", count: max(0, $0.1 - String($0.0).count)) + String($0.0) }.joined(separator: "  "))
        }
    }
}

struct Receptions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The nieuwjaarsrecepties (school file and staff's) and the households' answers so far; plan, move or cancel one.",
        subcommands: [List.self, Plan.self, Move.self, Cancel.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the receptions and the answers so far.")
        @OptionGroup var locations: Locations

        func run() async throws {
        let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: makeLogger()) }
        let calendar = runtime.school.calendar
        for row in try await runtime.service.receptionOverview() {
            let when = "\(calendar.dayKey(row.startsAt)) \(calendar.clockTime(row.startsAt))"
            print("\(row.id)  \(row.group)  \(when)  \(row.place)\(row.cancelled ? "  (cancelled)" : "")")
            print("  yes \(row.yes) (\(row.people) people), maybe \(row.maybe), no \(row.no), not answered \(row.notAnswered)"
                  + (row.wantBuddy + row.offerBuddy > 0 ? "; afterwards \(row.wantBuddy) would like a buddy, \(row.offerBuddy) would be one" : ""))
        }
        }
    }

    /// The options of a reception planned or moved on the command line.
    struct Details: ParsableArguments {
        @Option(help: "The day, e.g. 2026-09-10.") var date: String
        @Option(help: "Start time, e.g. 15:00.") var from: String
        @Option(help: "End time, e.g. 16:00.") var to: String
        @Option(help: "Where (default: the classroom of the group's teacher).") var place: String?
        @Option(help: "A note for the invitation, e.g. \"Broertjes en zusjes zijn welkom\".") var note: String?
    }

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Plan a group's reception; its households are invited (within a minute when the daemon runs).")
        @OptionGroup var locations: Locations
        @Option(help: "The group's id in the school file.") var group: String
        @OptionGroup var details: Details

        func run() async throws {
            try await Receptions.report("Planned", try await Receptions.runtime(locations).service.saveReception(
                ReceptionDraft(group: group, date: details.date, from: details.from, to: details.to, place: details.place, note: details.note)))
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a reception; those who said yes or maybe are told.")
        @OptionGroup var locations: Locations
        @Argument(help: "The reception's id (see 'receptions list').") var id: String
        @OptionGroup var details: Details

        func run() async throws {
            let runtime = try await Receptions.runtime(locations)
            guard let existing = try await runtime.service.receptionOverview().first(where: { $0.id == id && !$0.cancelled }) else {
                FileHandle.standardError.write(Data("There is no reception '\(id)'; 'samenspraak receptions list' shows them.\n".utf8))
                throw ExitCode.failure
            }
            try await Receptions.report("Moved", try await runtime.service.saveReception(
                ReceptionDraft(group: existing.groupID, date: details.date, from: details.from, to: details.to, place: details.place, note: details.note),
                id: id))
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a reception; those who said yes or maybe are told.")
        @OptionGroup var locations: Locations
        @Argument(help: "The reception's id (see 'receptions list').") var id: String

        func run() async throws {
            guard try await Receptions.runtime(locations).service.cancelReception(id: id) else {
                FileHandle.standardError.write(Data("There is no reception '\(id)' to cancel.\n".utf8))
                throw ExitCode.failure
            }
            print("Cancelled \(id).")
        }
    }

    static func runtime(_ locations: Locations) async throws -> Runtime {
        try await reportingFileIssues { try Runtime.load(locations.configuration, logger: makeLogger()) }
    }

    static func report(_ done: String, _ result: Result<ReceptionRecord, InputProblem>) async throws {
        switch result {
        case .success(let record): print("\(done) \(record.id).")
        case .failure(let problem):
            FileHandle.standardError.write(Data("Nothing changed: \(problem.description).\n".utf8))
            throw ExitCode.failure
        }
    }
}

struct Household: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A family's rights over its data: export everything stored about a household, or erase it.",
        subcommands: [Export.self, Erase.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write everything stored about the household as JSON (to stdout, or --output).")
        @OptionGroup var locations: Locations
        @Argument(help: "The household's key from the roster, e.g. H00012.") var household: String
        @Option(help: "A file to write the JSON to.") var output: String?

        func run() async throws {
            let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: makeLogger()) }
            guard let export = try runtime.database.readNow({ tx in try tx.household(key: household).map { try tx.export(household: $0) } }) else {
                FileHandle.standardError.write(Data("There is no household '\(household)'.\n".utf8))
                throw ExitCode.failure
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.dateEncodingStrategy = .iso8601
            let data = try encoder.encode(export)
            if let output { try data.write(to: URL(fileURLWithPath: output)) } else { FileHandle.standardOutput.write(data + Data("\n".utf8)) }
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase the household's messages, answers, chats and guardians; its talks stay as counts and it gets a new invite code.")
        @OptionGroup var locations: Locations
        @Argument(help: "The household's key from the roster, e.g. H00012.") var household: String
        @Flag(help: "Confirm: this cannot be undone (export first if the family wants a copy).") var yes = false

        func run() async throws {
            guard yes else {
                FileHandle.standardError.write(Data("Erasing cannot be undone; add --yes to confirm.\n".utf8))
                throw ExitCode.failure
            }
            let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: makeLogger()) }
            let report = try runtime.database.writeNow { tx -> ErasureReport? in
                guard let record = try tx.household(key: household) else { return nil }
                var code = InviteCode.generate()
                while try tx.invitee(code: code) != nil { code = InviteCode.generate() }
                return try tx.erase(household: record, newInviteCode: code)
            }
            guard let report else {
                FileHandle.standardError.write(Data("There is no household '\(household)'.\n".utf8))
                throw ExitCode.failure
            }
            print("Erased \(household): \(report.chats) chat(s), \(report.messages) message(s), \(report.answers) answer(s), \(report.jobs) planned message(s).")
        }
    }
}

struct Staff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Staff accounts for the staff pages (<public-url>/staff).", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a staff account, or give an existing one a new password and role. The password is read from "
                + "SAMENSPRAAK_STAFF_PASSWORD or the first line of stdin, never from the command line.")
        @OptionGroup var locations: Locations
        @Option(help: "The e-mail address to log in with.") var email: String
        @Option(help: "The name shown on the pages.") var name: String
        @Option(help: "office (everything), teacher (own groups) or care (buddies and agreements).") var role: String
        @Option(help: "For a teacher: their id in the school file.") var teacher: String?

        func run() async throws {
            let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: makeLogger()) }
            func refuse(_ reason: String) -> ExitCode {
                FileHandle.standardError.write(Data("No account made: \(reason)\n".utf8))
                return ExitCode.failure
            }
            guard ["office", "teacher", "care"].contains(role) else { throw refuse("the role must be office, teacher or care, not '\(role)'.") }
            if role == "teacher" {
                guard let teacher, runtime.school.teacher(teacher) != nil else { throw refuse("a teacher account needs --teacher with a teacher id of the school file.") }
            }
            guard email.contains("@"), email.count <= 200 else { throw refuse("'\(email)' is not an e-mail address.") }
            let password = ProcessInfo.processInfo.environment["SAMENSPRAAK_STAFF_PASSWORD"] ?? readLine(strippingNewline: true) ?? ""
            guard password.count >= 10 else { throw refuse("the password must have at least 10 characters.") }
            let account = try StaffPages.saveAccount(email: email, name: name, role: role, teacherID: role == "teacher" ? teacher : nil,
                                                     password: password, database: runtime.database)
            print("Staff account \(account.email) (\(account.role)) is ready; log in at \(locations.configuration.publicURL)/staff/login.")
        }
    }
}

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List scheduled reminders and nudges: the next ones due, and the latest skipped with the reason.")
    @OptionGroup var locations: Locations
    @Option(help: "How many of each to list.") var limit = 50

    func run() async throws {
        let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: makeLogger()) }
        let calendar = runtime.school.calendar
        func moment(_ date: Date) -> String { "\(calendar.dayKey(date)) \(calendar.clockTime(date))" }
        try runtime.database.readNow { tx in
            func household(_ job: JobRecord) throws -> String { try job.householdID.flatMap { try tx.household(id: $0)?.key } ?? "(school)" }
            for status in ["pending", "skipped"] {
                print("\(status == "pending" ? "Due next" : "Skipped") (\(try tx.jobCount(status: status)) in all):")
                for job in try tx.jobs(status: status, limit: limit) {
                    let when = status == "pending" ? moment(job.dueAt) : job.finishedAt.map(moment) ?? ""
                    print("  \(when)  \(job.kind)  \(try household(job))\(job.note.map { "  \($0)" } ?? "")")
                }
            }
        }
    }
}

struct Invites: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every household's invite code and link as CSV, for the invitation letters (with --staff: each teacher's).")
    @OptionGroup var locations: Locations
    @Flag(help: "The teachers' staff invites instead: opening one binds a teacher's own chat account. Give each only to that teacher.")
    var staff = false

    func run() async throws {
        let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: makeLogger()) }
        if staff {
            print("teacher,name,invite_code,link,telegram_link")
            for invite in try runtime.staffInvites() {
                let telegram = locations.telegramBot.map { TelegramSettings.deepLink(bot: $0, inviteCode: invite.code) } ?? ""
                print("\(invite.teacher.id),\"\(invite.teacher.name.replacingOccurrences(of: "\"", with: "\"\""))\",\(invite.code),\(invite.link),\(telegram)")
            }
            return
        }
        print("household,guardians,invite_code,link,telegram_link")
        for invite in try runtime.invites() {
            let guardians = invite.guardians.joined(separator: " & ").replacingOccurrences(of: "\"", with: "\"\"")
            let telegram = locations.telegramBot.map { TelegramSettings.deepLink(bot: $0, inviteCode: invite.code) } ?? ""
            print("\(invite.household),\"\(guardians)\",\(invite.code),\(invite.link),\(telegram)")
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load children, groups, households and guardians from a roster CSV.")
    @OptionGroup var locations: Locations
    @Argument(help: "The roster CSV file.") var file: String

    func run() async throws {
        let runtime = try await reportingFileIssues { try Runtime.load(locations.configuration, logger: makeLogger()) }
        let counts = try await reportingFileIssues { try RosterImporter.importFile(path: file, school: runtime.school, database: runtime.database) }
        print("Imported \(counts.children) children in \(counts.households) households from \(file).")
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate the school file, every flow and every locale; problems are listed as file:line.")
    @OptionGroup var locations: Locations

    func run() async throws {
        var issues: [FileIssue] = []
        let configuration = locations.configuration
        if locations.school != nil || FileManager.default.fileExists(atPath: configuration.schoolFile) {
            do { _ = try SchoolFile.load(url: URL(fileURLWithPath: configuration.schoolFile)) } catch let error as FileIssues { issues += error.issues }
        }
        do {
            let content = try Content.load(conversations: URL(fileURLWithPath: configuration.conversationsDirectory),
                                           locales: URL(fileURLWithPath: configuration.localesDirectory))
            issues += content.validate()
        } catch let error as FileIssues {
            issues += error.issues
        }
        if issues.isEmpty {
            print("All good: school file, flows and locales are complete and consistent.")
            return
        }
        for issue in issues { FileHandle.standardError.write(Data((issue.description + "\n").utf8)) }
        FileHandle.standardError.write(Data("\(issues.count) problem(s) found.\n".utf8))
        throw ExitCode.failure
    }
}

extension TelegramSettings.Mode: ExpressibleByArgument {}
