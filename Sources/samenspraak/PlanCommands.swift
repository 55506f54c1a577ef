import ArgumentParser
import Conversations
import Foundation
import SamenspraakCore
import Storage

/// The fair planning round for staff: look at the proposal, pin or swap talks, publish.
struct PlanRound: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "The preference round: make the proposal from the households' answers, pin or swap talks, publish it.",
        discussion: """
            'samenspraak plan' plans the round once it has closed (the daemon does so too, at 'booking.closes') and shows \
            the proposal per group: each child's time and how the household found it, and every child without a time with \
            the reason. Pin or swap talks, which plans the others again around them, then publish: every household is told \
            its time in its own language, once.
            """,
        subcommands: [Propose.self, Show.self, Pin.self, Swap.self, Publish.self], defaultSubcommand: Propose.self)

    struct Propose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Plan (again, around the pinned talks) and show the proposal.")
        @OptionGroup var locations: Locations
        @Flag(help: "Plan while the round is still open, to look at it (households may still change their answers).") var early = false

        func run() async throws {
            let runtime = try await locations.runtime()
            switch try await runtime.service.proposeRound(by: "cli", early: early) {
            case .success: try await PlanRound.show(runtime.service)
            case .failure(let problem): throw refusal("Cannot plan: \(problem).")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the stored proposal without planning again.")
        @OptionGroup var locations: Locations

        func run() async throws { try await PlanRound.show(try await locations.runtime().service) }
    }

    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fix a child's talk at a time (e.g. agreed by phone) and plan the rest again.")
        @OptionGroup var locations: Locations
        @Argument(help: "The child's id (as in the roster), or the talk's scope as 'plan show' prints it.") var child: String
        @Argument(help: "The time, e.g. \"2026-09-01 15:25\".") var time: String
        @Option(help: "The teacher's id, when the group has two teachers with a talk at that time.") var teacher: String?

        func run() async throws {
            let runtime = try await locations.runtime()
            guard let slot = try await PlanRound.slot(child: child, time: time, teacher: teacher, runtime.service) else {
                throw refusal("There is no talk time \(time) of \(child)'s group's teachers\(teacher.map { " (\($0))" } ?? ""); 'plan show' lists the times.")
            }
            try await PlanRound.report(try await runtime.service.pinTalks([(child, slot)], by: "cli"), runtime.service)
        }
    }

    struct Swap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Swap two children's times (both pinned) and plan the rest again.")
        @OptionGroup var locations: Locations
        @Argument(help: "A child's id or talk scope.") var first: String
        @Argument(help: "Another child's id or talk scope.") var second: String

        func run() async throws {
            let runtime = try await locations.runtime()
            guard let talks = try await runtime.service.roundProposal()?.talks else { throw refusal("Cannot swap: \(RoundProblem.notPlanned).") }
            func talk(_ name: String) throws -> PlannedTalkRecord {
                guard let talk = talks.first(where: { $0.scope == name || $0.childID == name }) else { throw refusal("Cannot swap: \(RoundProblem.unknownTalk(name)).") }
                guard talk.slotID != nil else { throw refusal("Cannot swap: \(name) has no time in the proposal; use 'plan pin'.") }
                return talk
            }
            let (a, b) = (try talk(first), try talk(second))
            try await PlanRound.report(try await runtime.service.pinTalks([(a.scope, b.slotID!), (b.scope, a.slotID!)], by: "cli"), runtime.service)
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Book every proposed talk and tell each household its time, once.")
        @OptionGroup var locations: Locations

        func run() async throws {
            let runtime = try await locations.runtime()
            switch try await runtime.service.publishRound(by: "cli") {
            case .success(let report):
                print("Published: \(report.booked) talks booked, \(report.unplaced) without a time; \(report.householdsTold) households are told "
                      + "(the daemon sends the messages; it must be running).")
            case .failure(let problem): throw refusal("Cannot publish: \(problem).")
            }
        }
    }

    static func report(_ result: Result<[PlannedTalkRecord], RoundProblem>, _ service: ConversationService) async throws {
        switch result {
        case .success: try await show(service)
        case .failure(let problem): throw refusal("Cannot pin: \(problem).")
        }
    }

    /// The slot of one of the child's group's teachers at `time` ("2026-09-01 15:25").
    static func slot(child: String, time: String, teacher: String?, _ service: ConversationService) async throws -> Int64? {
        // A talk's scope names its child in the proposal; a child id is taken as it is.
        let childID = try await service.roundProposal()?.talks.first { $0.scope == child }?.childID ?? child
        let calendar = service.school.calendar
        return try await service.database.read { tx in
            guard let record = try tx.child(id: childID) else { return nil }
            let teachers = service.school.teachers(ofGroup: record.groupID).map(\.id).filter { teacher == nil || $0 == teacher }
            return try tx.freeSlots(teacherIDs: teachers, from: .distantPast)
                .first { "\(calendar.dayKey($0.startsAt)) \(calendar.clockTime($0.startsAt))" == time }?.id
        }
    }

    /// The proposal per group, then the totals.
    static func show(_ service: ConversationService) async throws {
        let overview = try await service.roundOverview()
        guard let round = overview.round else { throw refusal("There is no proposal yet: run 'samenspraak plan'.") }
        let calendar = service.school.calendar
        func moment(_ date: Date) -> String { "\(calendar.dayKey(date)) \(calendar.clockTime(date))" }
        print("Round \(round.id), planned \(moment(round.plannedAt))" + (round.publishedAt.map { ", published \(moment($0))" } ?? ", not published"))
        for group in service.school.groups {
            guard let talks = overview.groups[group.id] else { continue }
            print("\n\(group.name)")
            for talk in talks {
                let name = "\(talk.child.firstName) [\(talk.planned.scope)]"
                if let slot = talk.slot {
                    print("  \(moment(slot.startsAt))  \(slot.teacherID)  \(name)  \(talk.planned.level ?? "no answer")\(talk.planned.pinned ? "  (pinned)" : "")")
                } else {
                    print("  no time           \(name)  \(talk.planned.reason ?? "")")
                }
            }
        }
        let totals = overview.totals
        print("\n\(totals.talks - totals.unplaced) of \(totals.talks) talks have a time: \(totals.good) good, \(totals.possible) possible, "
              + "\(totals.unanswered) for households that did not answer.")
    }
}
