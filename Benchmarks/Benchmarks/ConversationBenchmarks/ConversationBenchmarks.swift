import App
import Benchmark
import Conversations
import Dialogue
import Foundation
import Localization
import Logging
import SamenspraakCore
import Synchronization

/// The repository's own flows and locales, found from this file's path.
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .mallocCountTotal, .peakMemoryResident],
                                           warmupIterations: 3, maxDuration: .seconds(10), maxIterations: 1_000)

    // One dialogue step in memory: the parent picks a day and gets that day's twelve free times,
    // rendered in Dutch (keyword check, option matching, templates, time formatting).
    Benchmark("Dialogue step in memory (pick a day, get 12 times)",
              configuration: .init(scalingFactor: .kilo)) { benchmark in
        let fixture = try InMemoryFixture.shared
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var session = fixture.waitingForDay
            var host = fixture.host
            blackHole(try fixture.engine.handle(.text("2"), session: &session, host: &host, defaultLanguage: "nl"))
        }
    }

    // A full inbound message: inbox (duplicate check), contact and session, dialogue step with its database reads,
    // replies into the outbox, all committed to a real SQLite file (WAL, synchronous=FULL) before `handle` returns.
    // 1,000 messages per iteration from 200 parents at once, as a busy evening would bring them.
    Benchmark("Full inbound message through inbox, engine, SQLite commit and outbox (200 parents at once)",
              configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(20), maxIterations: 50)) { benchmark in
        let fixture = try await FullStepFixture.shared()
        benchmark.startMeasurement()
        try await fixture.sendRound(messages: benchmark.scaledIterations.count)
    }
}

/// The real flows and locales with a host that answers from memory, and a session waiting at "which day?".
struct InMemoryFixture: Sendable {
    let engine: DialogueEngine
    let host: MemoryHost
    let waitingForDay: Session

    static var shared: InMemoryFixture {
        get throws {
            try cache.withLock { cached in
                if let cached { return cached }
                let made = try InMemoryFixture()
                cached = made
                return made
            }
        }
    }
    private static let cache = Mutex<InMemoryFixture?>(nil)

    init() throws {
        let content = try Content.load(conversations: repository.appendingPathComponent("conversations"),
                                       locales: repository.appendingPathComponent("locales"))
        let localizer = Localizer(catalogs: content.catalogs, timeZone: TimeZone(identifier: "Europe/Amsterdam")!)
        engine = DialogueEngine(flows: content.flows, renderer: localizer)
        host = MemoryHost(monday: Date(timeIntervalSince1970: 1_795_424_400))
        var session = Session()
        var host = host
        _ = try engine.handle(.start, session: &session, host: &host, defaultLanguage: "nl")
        for answer in ["Nederlands", "1", "1"] {   // language, "plan a talk", the first child
            _ = try engine.handle(.text(answer), session: &session, host: &host, defaultLanguage: "nl")
        }
        guard session.step == "which_day" else { throw FixtureError.unexpectedStep(session.step ?? "none") }
        waitingForDay = session
    }
}

/// Offers what the school host would offer, from memory: two children, eight days, twelve times a day.
struct MemoryHost: DialogueHost, Sendable {
    let monday: Date

    func options(_ source: String, session: Session) throws -> [Option] {
        switch source {
        case "languages":
            return [Option(id: "nl", fixedLabel: "Nederlands"), Option(id: "en", fixedLabel: "English"), Option(id: "ar", fixedLabel: "العربية")]
        case "children_to_book":
            return [Option(id: "c1", label: "booking.child_option", values: ["child": .text("Sara"), "group": .text("Groep 3")]),
                    Option(id: "c2", label: "booking.child_option", values: ["child": .text("Adam"), "group": .text("Groep 6")])]
        case "free_days":
            return (0..<8).map { day in
                let date = monday.addingTimeInterval(Double(7 + day) * 86_400)
                return Option(id: "d\(day)", label: "booking.day_option", values: ["day": .day(date)])
            }
        case "free_times":
            return (0..<12).map { slot in
                let time = monday.addingTimeInterval(7 * 86_400 + 5 * 3_600 + Double(slot) * 1_500)
                return Option(id: "s\(slot)", label: "booking.time_option", values: ["time": .time(time)])
            }
        default:
            return []
        }
    }

    func perform(_ action: String, session: inout Session) throws -> String {
        switch action {
        case "summarise_household": return "none_booked"
        case "check_booking_open": return "open"
        case "select_child":
            session.vars["child"] = .text("Sara")
            return "ok"
        default: return "ok"
        }
    }
}

/// A demo school of 200 households in a real SQLite file, each with a started web chat waiting at the menu.
final class FullStepFixture: Sendable {
    let runtime: Runtime
    let contacts: [String]
    private let counter = Atomic<Int>(0)

    private static let cache = Mutex<FullStepFixture?>(nil)

    static func shared() async throws -> FullStepFixture {
        if let cached = cache.withLock({ $0 }) { return cached }
        let made = try await FullStepFixture(households: 200)
        cache.withLock { $0 = made }
        return made
    }

    init(households: Int) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("samenspraak-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configuration = AppConfiguration(databasePath: folder.appendingPathComponent("samenspraak.sqlite").path,
                                             schoolFile: folder.appendingPathComponent("school.yaml").path,
                                             conversationsDirectory: repository.appendingPathComponent("conversations").path,
                                             localesDirectory: repository.appendingPathComponent("locales").path)
        let now = Date(timeIntervalSince1970: 1_795_424_400)
        let roster = try DemoSetup.prepare(configuration: configuration, households: households, now: now)
        var logger = Logger(label: "benchmark")
        logger.logLevel = .critical
        runtime = try Runtime.load(configuration, clock: ManualClock(now), logger: logger)
        _ = try RosterImporter.importFile(path: roster, school: runtime.school, database: runtime.database)
        var contacts: [String] = []
        for (index, invite) in try runtime.invites().enumerated() {
            let address = "bench-\(index)"
            _ = try await runtime.service.start(channel: .webchat, address: address, platformMessageID: "start-\(index)",
                                                inviteCode: invite.code, languageHint: "nl")
            contacts.append(address)
        }
        self.contacts = contacts
    }

    /// Sends `messages` "help" messages spread over all contacts at once; each returns only after its commit.
    func sendRound(messages: Int) async throws {
        let perContact = max(1, messages / contacts.count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for address in contacts {
                group.addTask { [self] in
                    for _ in 0..<perContact {
                        let id = counter.add(1, ordering: .relaxed).newValue
                        let outcome = try await runtime.service.handle(
                            InboundEvent(channel: .webchat, address: address, platformMessageID: "m\(id)", content: .text("help")))
                        guard case .handled = outcome else { throw FixtureError.notHandled }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

enum FixtureError: Error {
    case unexpectedStep(String)
    case notHandled
}
