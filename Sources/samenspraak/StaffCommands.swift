import App
import ArgumentParser
import Conversations
import Foundation
import HTTPServer
import SamenspraakCore
import Storage

// The commands for the school's staff: coverage, receptions, a household's data, staff accounts.

struct Coverage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per group: children with a startgesprek booked and held, those without one, and agreed follow-ups not yet done.")
    @OptionGroup var locations: Locations

    func run() async throws {
        let runtime = try await locations.runtime()
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
        let runtime = try await locations.runtime()
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
            try await Receptions.report("Planned", try await locations.runtime().service.saveReception(
                ReceptionDraft(group: group, date: details.date, from: details.from, to: details.to, place: details.place, note: details.note)))
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a reception; those who said yes or maybe are told.")
        @OptionGroup var locations: Locations
        @Argument(help: "The reception's id (see 'receptions list').") var id: String
        @OptionGroup var details: Details

        func run() async throws {
            let runtime = try await locations.runtime()
            guard let existing = try await runtime.service.receptionOverview().first(where: { $0.id == id && !$0.cancelled }) else {
                throw refusal("There is no reception '\(id)'; 'samenspraak receptions list' shows them.")
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
            guard try await locations.runtime().service.cancelReception(id: id) else {
                throw refusal("There is no reception '\(id)' to cancel.")
            }
            print("Cancelled \(id).")
        }
    }

    static func report(_ done: String, _ result: Result<ReceptionRecord, InputProblem>) async throws {
        switch result {
        case .success(let record): print("\(done) \(record.id).")
        case .failure(let problem):
            throw refusal("Nothing changed: \(problem.description).")
        }
    }
}

struct Household: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A family's rights over its data: export everything stored about a household, or erase it.",
        subcommands: [Export.self, Erase.self, Audit.self])

    /// Who ran a command, for the audit log: the operating system's user.
    static var actor: String { "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "unknown")" }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Who looked at or changed families' data, newest first.")
        @OptionGroup var locations: Locations
        @Option(help: "How many entries.") var limit = 100

        func run() async throws {
            let runtime = try await locations.runtime()
            let time = ISO8601DateFormatter()
            for entry in try runtime.database.readNow({ try $0.auditLog(limit: limit) }) {
                print("\(time.string(from: entry.at))  \(entry.actor)  \(entry.action)  \(entry.subject)")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write everything stored about the household as JSON (to stdout, or --output).")
        @OptionGroup var locations: Locations
        @Argument(help: "The household's key from the roster, e.g. H00012.") var household: String
        @Option(help: "A file to write the JSON to.") var output: String?

        func run() async throws {
            let runtime = try await locations.runtime()
            guard let data = try await runtime.service.exportHousehold(key: household, by: Household.actor) else {
                throw refusal("There is no household '\(household)'.")
            }
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
                throw refusal("Erasing cannot be undone; add --yes to confirm.")
            }
            let runtime = try await locations.runtime()
            guard let report = try await runtime.service.eraseHousehold(key: household, by: Household.actor) else {
                throw refusal("There is no household '\(household)'.")
            }
            print("Erased \(household): \(report.chats) chat(s), \(report.messages) message(s), \(report.answers) answer(s), \(report.jobs) planned message(s).")
        }
    }
}

struct Staff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Staff accounts for the staff pages (<public-url>/staff), and teachers' calendar feeds.",
                                                    subcommands: [Add.self, Feed.self])

    struct Feed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A teacher's private calendar feed (talks and agreed moments) to subscribe to; give it only to that teacher.")
        @OptionGroup var locations: Locations
        @Option(help: "The teacher's id in the school file.") var teacher: String
        @Flag(help: "Make a new link; the old one stops working (when it was shared by mistake).") var renew = false

        func run() async throws {
            let runtime = try await locations.runtime()
            guard runtime.school.teacher(teacher) != nil else {
                throw refusal("There is no teacher '\(teacher)' in the school file.")
            }
            print(try TeacherFeedController.link(teacher: teacher, renew: renew, database: runtime.database,
                                                 publicURL: runtime.configuration.publicURL))
        }
    }

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
            let runtime = try await locations.runtime()
            func refuse(_ reason: String) -> ExitCode { refusal("No account made: \(reason)") }
            guard ["office", "teacher", "care"].contains(role) else { throw refuse("the role must be office, teacher or care, not '\(role)'.") }
            if role == "teacher" {
                guard let teacher, runtime.school.teacher(teacher) != nil else { throw refuse("a teacher account needs --teacher with a teacher id of the school file.") }
            }
            guard email.contains("@"), email.count <= 200 else { throw refuse("'\(email)' is not an e-mail address.") }
            let password = ProcessInfo.processInfo.environment[Setting.staffPasswordEnvironmentVariable] ?? readLine(strippingNewline: true) ?? ""
            guard password.count >= 10 else { throw refuse("the password must have at least 10 characters.") }
            let account = try StaffPages.saveAccount(email: email, name: name, role: role, teacherID: role == "teacher" ? teacher : nil,
                                                     password: password, database: runtime.database)
            print("Staff account \(account.email) (\(account.role)) is ready; log in at \(runtime.configuration.publicURL)/staff/login.")
        }
    }
}
