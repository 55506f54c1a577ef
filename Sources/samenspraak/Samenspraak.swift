import App
import ArgumentParser
import DataFiles
import Foundation
import Logging
import SamenspraakCore
import SchoolSetup
import Storage

@main
struct Samenspraak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parents and school as partners: book the startgesprek by chat, in the parent's own language.",
        subcommands: [Demo.self, Serve.self, Chat.self, Invites.self, Import.self, Coverage.self, Receptions.self, Household.self, Staff.self,
                      Deliveries.self, Jobs.self, Purge.self, Rollover.self, PlanRound.self, Check.self, Backup.self, MigrateToPostgres.self])
}

/// Paths and addresses shared by every command. Each may also come from the environment (`SAMENSPRAAK_PORT`) or the
/// configuration file (`port:`); an option given here wins. Resolving and checking them is `ConfigurationLoader`'s.
struct Locations: ParsableArguments {
    @Option(help: "A YAML configuration file (see samenspraak.example.yaml); also SAMENSPRAAK_CONFIG.") var config: String?
    @Option(help: "Folder for the database and the demo school (default: data).") var data: String?
    @Option(help: "The school file (default: <data>/school.yaml).") var school: String?
    @Option(help: "The SQLite database file (default: <data>/samenspraak.sqlite).") var database: String?
    @Option(help: "Folder with the dialogue flows (default: conversations).") var conversations: String?
    @Option(help: "Folder with the translations (default: locales).") var locales: String?
    @Option(help: "Address to listen on (default: 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default: 8080).") var port: String?
    @Option(help: "Address parents use to reach this daemon, for links (default: http://<host>:<port>).") var publicURL: String?
    @Option(help: "The Telegram bot's username, for deep links. The token comes from SAMENSPRAAK_TELEGRAM_TOKEN or telegram_token_file only.")
    var telegramBot: String?
    @Option(name: .customLong("telegram-api-url"), help: "The Telegram Bot API address (default: https://api.telegram.org).") var telegramAPIURL: String?
    @Option(help: "How Telegram updates arrive: polling (default), or webhook (Telegram POSTs to <public-url>/telegram/webhook).")
    var telegramMode: String?
    @Option(help: "Seconds between two messages to the same Telegram chat (default: 1).") var telegramChatInterval: String?
    @Option(help: "Telegram messages per second, all chats together (default: 30).") var telegramPerSecond: String?
    @Option(help: "WhatsApp: the phone number's id at Meta (the access token, app secret and verify token come from the environment or *_file settings only).")
    var whatsappPhoneNumberID: String?
    @Option(help: "WhatsApp: the number parents write to, for the wa.me links in the invitations (such as 31612345678).") var whatsappNumber: String?
    @Option(name: .customLong("whatsapp-api-url"), help: "WhatsApp: the Graph API address (default: https://graph.facebook.com).") var whatsappAPIURL: String?
    @Option(help: "WhatsApp: the Graph API version (default: v23.0).") var whatsappGraphVersion: String?
    @Option(help: "WhatsApp: the approved template per language for messages outside the 24-hour window, e.g. \"nl=samenspraak_bericht:nl, en=samenspraak_message:en_US\".")
    var whatsappTemplates: String?
    @Option(help: "SMS: the provider, none (default) or twilio (the auth token comes from SAMENSPRAAK_TWILIO_AUTH_TOKEN or twilio_auth_token_file only).")
    var smsProvider: String?
    @Option(name: .customLong("twilio-account-sid"), help: "Twilio: the Account SID (AC…).") var twilioAccountSID: String?
    @Option(help: "Twilio: the school's number messages come from, such as +3197010203040.") var twilioFrom: String?
    @Option(name: .customLong("twilio-messaging-service-sid"), help: "Twilio: a Messaging Service (MG…) to send through instead of twilio-from.")
    var twilioMessagingServiceSID: String?
    @Option(name: .customLong("twilio-api-url"), help: "Twilio: the API address (default: https://api.twilio.com).") var twilioAPIURL: String?
    @Option(help: "Delete conversation messages this many days after they were sent (at least 7; default: 30 days after the end of the school year).")
    var retentionDays: String?
    @Option(help: "Delete the rollover's archive of a school year this many years after that year ended, on 1 August (1 to 10; default: 1).")
    var archiveYears: String?
    @Option(help: "A school board: a folder with one folder per school, each with its own samenspraak.yaml (serve and check only; see the README).")
    var schools: String?

    /// Every setting from the options, the environment and the configuration file; a wrong one ends the command with
    /// the list of problems, each naming where the value came from.
    func loaded() async throws -> LoadedConfiguration {
        let given: [Setting: String?] = [.data: data, .school: school, .database: database, .conversations: conversations, .locales: locales,
                                         .host: host, .port: port, .publicURL: publicURL, .telegramBot: telegramBot, .telegramAPIURL: telegramAPIURL,
                                         .telegramMode: telegramMode, .telegramChatInterval: telegramChatInterval, .telegramPerSecond: telegramPerSecond,
                                         .retentionDays: retentionDays, .archiveYears: archiveYears, .whatsappPhoneNumberID: whatsappPhoneNumberID,
                                         .whatsappNumber: whatsappNumber, .whatsappAPIURL: whatsappAPIURL, .whatsappGraphVersion: whatsappGraphVersion,
                                         .whatsappTemplates: whatsappTemplates, .smsProvider: smsProvider, .twilioAccountSID: twilioAccountSID,
                                         .twilioFrom: twilioFrom, .twilioMessagingServiceSID: twilioMessagingServiceSID, .twilioAPIURL: twilioAPIURL,
                                         .schools: schools]
        return try await reportingFileIssues { try ConfigurationLoader(commandLine: given.compactMapValues { $0 }, configFile: config).load() }
    }

    /// The school, content and database these locations name, loaded as the daemon loads them; a problem in a data
    /// file ends the command with the list of `file:line` problems.
    func runtime(_ loaded: LoadedConfiguration? = nil) async throws -> Runtime {
        let loaded = if let loaded { loaded } else { try await self.loaded() }
        if let schools = loaded.schoolsDirectory {
            throw refusal("This is a school board's configuration (schools: \(schools)); name one school's file instead: --config \(schools)/<school>/samenspraak.yaml")
        }
        return try await reportingFileIssues {
            try loaded.checkFilesExist()
            return try Runtime.load(loaded.configuration, logger: try makeLogger())
        }
    }
}

/// Says `message` on stderr and gives the exit code to throw: how a command refuses.
func refusal(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    return ExitCode.failure
}

/// Prints rows per table, one per line, the counts lined up after the longest name.
func printTableCounts(_ counts: [(table: String, rows: Int)], indent: String) {
    let width = counts.map(\.table.count).max() ?? 0
    for (table, rows) in counts { print("\(indent)\(table.padding(toLength: width, withPad: " ", startingAt: 0))  \(rows)") }
}

/// The logger of LOG_LEVEL and LOG_FORMAT; a wrong value ends the command with what is allowed.
func makeLogger() throws -> Logger { try LogSetup.logger() }

/// Runs `body`, turning data-file problems into a list on stderr and exit code 1.
func reportingFileIssues<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as FileIssues {
        throw refusal(error.description)
    } catch let error as FileIssue {
        throw refusal(error.description)
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate a demo school (once), print its invite links and serve the web chat.")
    @OptionGroup var locations: Locations
    @Option(help: "Number of households in the generated school (the default gives about 60 children).") var households = 45
    @Flag(help: "Only create the school and print the links; do not start the server.") var noServe = false

    func run() async throws {
        let logger = try await reportingFileIssues { try makeLogger() }
        let loaded = try await locations.loaded()
        let configuration = loaded.configuration
        if loaded.schoolsDirectory != nil { throw refusal("The demo makes one school; leave schools unset (it names a school board's folder).") }
        let runtime = try await reportingFileIssues {
            try loaded.checkFilesExist(schoolMayBeMissing: true)
            try loaded.checkTelegramToken()
            try loaded.checkWhatsAppToken()
            let roster = try DemoSetup.prepare(configuration: configuration, households: households)
            let runtime = try Runtime.load(configuration, logger: logger)
            if try runtime.database.readNow({ try $0.householdCount() }) == 0, FileManager.default.fileExists(atPath: roster) {
                let counts = try RosterImporter.importFile(path: roster, school: runtime.school, database: runtime.database)
                print("Demo school created in \(loaded.dataDirectory)/: \(counts.children) children in \(counts.households) households.")
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
        let loaded = try await locations.loaded()
        if loaded.schoolsDirectory != nil { return try await serveBoard(loaded) }
        let logger = try await reportingFileIssues {
            try loaded.checkTelegramToken()
            try loaded.checkWhatsAppToken()
            return try makeLogger()
        }
        try await runDaemon(try await locations.runtime(loaded), logger: logger)
    }

    /// A school board's daemon: every school of the `schools` folder, on one port.
    func serveBoard(_ loaded: LoadedConfiguration) async throws {
        let logger = try await reportingFileIssues { try makeLogger() }
        let schools = try await reportingFileIssues { try Board.load(loaded).runtimes(logger: logger) }
        logger.info("Board", metadata: ["schools": "\(schools.count)"])
        try await runBoard(schools, host: loaded.configuration.host, port: loaded.configuration.port, logger: logger)
    }
}

struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Have a parent's (or, with a staff invite, a teacher's) conversation in the terminal (stdin/stdout).")
    @OptionGroup var locations: Locations
    @Option(help: "The household's invite code, or a teacher's staff invite code.") var invite: String

    func run() async throws {
        let runtime = try await locations.runtime()
        let lines = AnyIterator { readLine(strippingNewline: true) }
        guard try await TerminalChat(runtime: runtime).run(inviteCode: invite, lines: lines) else {
            throw refusal("Unknown invite code '\(invite)'. `samenspraak invites` lists the codes.")
        }
    }
}

struct Deliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List messages that could not be delivered and parents who blocked the bot, for staff to follow up.")
    @OptionGroup var locations: Locations

    func run() async throws {
        let runtime = try await locations.runtime()
        let (failed, unreachable) = try runtime.database.readNow { tx in (try tx.failedDeliveries(), try tx.unreachableContacts()) }
        let time = ISO8601DateFormatter()
        print("Not delivered (\(failed.count)):")
        for row in failed { print("  \(row.household)  \(row.channel)  \(time.string(from: row.createdAt))  \(row.attempts) attempt(s)  \(row.reason)") }
        print("Unreachable, blocked the bot (\(unreachable.count)):")
        for row in unreachable { print("  \(row.household)  \(row.channel)  since \(time.string(from: row.since))") }
    }
}

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List scheduled reminders and nudges: the next ones due, and the latest skipped with the reason.")
    @OptionGroup var locations: Locations
    @Option(help: "How many of each to list.") var limit = 50

    func run() async throws {
        let runtime = try await locations.runtime()
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
        let loaded = try await locations.loaded()
        let runtime = try await locations.runtime(loaded)
        if staff {
            print("teacher,name,invite_code,link,telegram_link,whatsapp_link,sms_number,matrix_link")
            for invite in try runtime.staffInvites() {
                print("\(invite.teacher.id),\(csvField(invite.teacher.name)),\(invite.code),\(invite.link),\(channelColumns(loaded, code: invite.code))")
            }
            return
        }
        print("household,guardians,invite_code,link,telegram_link,whatsapp_link,sms_number,matrix_link")
        for invite in try runtime.invites() {
            print("\(invite.household),\(csvField(invite.guardians.joined(separator: " & "))),\(invite.code),\(invite.link),\(channelColumns(loaded, code: invite.code))")
        }
    }

    /// How a parent joins on each configured platform: the Telegram and WhatsApp links carry the code; by SMS they text
    /// it to the school's number; on Matrix they start a chat with the bot (matrix.to) and send it.
    func channelColumns(_ loaded: LoadedConfiguration, code: String) -> String {
        [loaded.telegramBot.map { TelegramSettings.deepLink(bot: $0, inviteCode: code) },
         loaded.whatsappNumber.map { WhatsAppSettings.link(number: $0, inviteCode: code) },
         loaded.smsNumber,
         loaded.matrixUser.map { "https://matrix.to/#/\($0)" }].map { $0 ?? "" }.joined(separator: ",")
    }

    func csvField(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load children, groups, households and guardians from a roster CSV.")
    @OptionGroup var locations: Locations
    @Argument(help: "The roster CSV file.") var file: String

    func run() async throws {
        let runtime = try await locations.runtime()
        let counts = try await reportingFileIssues { try RosterImporter.importFile(path: file, school: runtime.school, database: runtime.database) }
        print("Imported \(counts.children) children in \(counts.households) households from \(file).")
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the school file, every flow and every locale; print how complete each locale is; problems are listed as file:line.")
    @OptionGroup var locations: Locations

    func run() async throws {
        var issues: [FileIssue] = []
        let loaded = try await locations.loaded()
        let configuration = loaded.configuration
        var schoolFiles: [String] = []
        if loaded.schoolsDirectory != nil {
            do {
                let board = try Board.load(loaded)
                print("School board: \(board.schools.count) school(s): \(board.schools.map { "\($0.id) (\($0.hostName))" }.joined(separator: ", "))")
                schoolFiles = board.schools.map(\.configuration.schoolFile)
                // A school with flows or texts of its own has them checked here; the board's are checked below.
                for school in board.schools where school.configuration.conversationsDirectory != configuration.conversationsDirectory
                    || school.configuration.localesDirectory != configuration.localesDirectory {
                    do { _ = try Content.loadValidated(conversations: school.configuration.conversationsDirectory, locales: school.configuration.localesDirectory) }
                    catch let error as FileIssues { issues += error.issues }
                }
            } catch let error as FileIssues {
                issues += error.issues
            }
        } else if loaded.isSet(.school) || FileManager.default.fileExists(atPath: configuration.schoolFile) {
            schoolFiles = [configuration.schoolFile]
        }
        for schoolFile in schoolFiles {
            do { _ = try SchoolFile.load(url: URL(fileURLWithPath: schoolFile)) } catch let error as FileIssues { issues += error.issues }
        }
        do {
            let content = try Content.load(conversations: URL(fileURLWithPath: configuration.conversationsDirectory),
                                           locales: URL(fileURLWithPath: configuration.localesDirectory))
            issues += content.validate()
            let locales = content.localeCompleteness()
            print("Locales (\(locales.first?.total ?? 0) keys in the base language):")
            for locale in locales { print("  " + locale.summary) }
        } catch let error as FileIssues {
            issues += error.issues
        }
        if issues.isEmpty {
            print("All good: school file, flows and locales are complete and consistent.")
            return
        }
        for issue in issues { FileHandle.standardError.write(Data((issue.description + "\n").utf8)) }
        throw refusal("\(issues.count) problem(s) found.")
    }
}
