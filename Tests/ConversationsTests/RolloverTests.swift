import App
import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// The school-year rollover: a rehearsal changes nothing; the real one archives the old year (an SQLite file, on
/// either engine), keeps the chats and language of families still at school (they book again without signing up), and
/// leaves nothing of a family that left.
@Suite struct RolloverTests {
    /// A household whose children live only there (not a child of separated parents).
    func household(_ school: TestSchool, notAmong taken: [Int64]) throws -> HouseholdRecord {
        try school.runtime.database.readNow { tx in
            for household in try tx.households() where !taken.contains(household.id ?? 0) {
                let children = try tx.children(household: household.id ?? 0)
                if children.count == 1, try tx.households(ofChild: children[0].id).count == 1 { return household }
            }
            throw TestSchoolError.noSuchHousehold
        }
    }

    /// Books, in Arabic, the first free time on the first day offered (for the first child).
    func bookInArabic(_ chat: Conversation) async throws {
        try await chat.say("حجز")
        try await chat.say("1")   // the child
        try await chat.say("1")   // the day
        try await chat.say("1")   // the time
        #expect(chat.lastMessages.first?.text.hasPrefix("تم الحجز") == true)
    }

    /// Every table's rows as canonical text, sorted: the same for the same rows on either engine (SQLite's dates and
    /// booleans read by their declared types), so a PostgreSQL school compares with its SQLite archive.
    func typedRows(_ database: AppDatabase, sqlite: Bool) throws -> [String: [String]] {
        try database.readNow { tx in
            let tables: [String: [[String: SQLValue]]] = sqlite
                ? Dictionary(uniqueKeysWithValues: try tx.storedTables().map { table in
                    (table.name, table.rows.map { Dictionary(uniqueKeysWithValues: zip(table.columns, $0).map { $0 }) })
                })
                : try tx.everyRow()
            return Dictionary(uniqueKeysWithValues: tables.map { name, rows in
                (name.lowercased(), rows.map { row in
                    row.map { "\($0.key.lowercased())=\($0.value.canonical)" }.sorted().joined(separator: "|")
                }.sorted())
            })
        }
    }

    @Test func familiesStayingKeepTheirChatsAndFamiliesLeavingLeaveNothing() async throws {
        let school = try TestSchool()
        let database = school.runtime.database

        // Staying: a family on Telegram in Arabic with a talk, and one on the web chat in Dutch.
        let staying = try household(school, notAmong: [])
        let telegram = Conversation(school, inviteCode: staying.inviteCode, address: "4242", channel: .telegram)
        try await telegram.start(language: "ar")
        try await telegram.press("العربية")
        try await bookInArabic(telegram)
        let webStaying = try household(school, notAmong: [staying.id ?? 0])
        let web = Conversation(school, inviteCode: webStaying.inviteCode, channel: .webchat)
        try await web.start(language: "nl")
        try await web.press("Nederlands")

        // Leaving: a family with a talk, an answer to a preparation question and an agreement it confirmed.
        let leaving = try household(school, notAmong: [staying.id ?? 0, webStaying.id ?? 0])
        let leavingID = try #require(leaving.id)
        let chat = Conversation(school, inviteCode: leaving.inviteCode, channel: .webchat)
        try await chat.start(language: "nl")
        try await chat.press("Nederlands")
        try await chat.bookFirstFreeTime()
        try await chat.press("Ja, nu")
        try await chat.say("Hij houdt van dino's")
        let talk = try #require(try database.readNow { try $0.activeBookings(household: leavingID) }.first)
        _ = try await school.runtime.service.saveAgreement(AgreementDraft(childID: talk.childID, teacherID: talk.teacherID, who: "teacher",
                                                                          what: "Bellen", why: "Even bijpraten", when: "early june", how: "phone")).get()
        _ = try await school.runtime.service.runDueJobs()
        let agreement = try #require(try await chat.receive().first { $0.text.hasPrefix("Dit is afgesproken") })
        try await chat.press("Klopt", in: agreement)
        let guardians = try database.readNow { try $0.guardians(household: leavingID) }
        let otherNames = try database.readNow { tx in try tx.households().filter { $0.id != leavingID }.flatMap { try tx.guardians(household: $0.id ?? 0).map(\.name) } }
        let traces = [leaving.key, leaving.inviteCode, chat.address] + guardians.map(\.phone) + guardians.map(\.name).filter { !otherNames.contains($0) }
        #expect(!(try StoredRows(database: database).mentioning(household: leavingID, children: [talk.childID], texts: traces).isEmpty))

        // The new roster: the leaving family's rows gone, a new family added.
        let old = try String(contentsOfFile: school.directory.path("roster.csv"), encoding: .utf8).split(separator: "\n")
        let rows = old.filter { $0.split(separator: ",")[4] != leaving.key } + ["9001,Mees,Nieuw,g1,H09001,Ilse Nieuw,+31600000001,nl"]
        let rosterPath = school.directory.path("new-roster.csv")
        try rows.joined(separator: "\n").write(toFile: rosterPath, atomically: true, encoding: .utf8)
        let roster = try RosterImporter.read(path: rosterPath, school: school.runtime.school)
        func rollOver(apply: Bool) throws -> YearRollover.Summary {
            try YearRollover.run(roster: roster, database: database, archiveFolder: school.runtime.configuration.archiveFolder, school: school.runtime.school,
                                 actor: "test", apply: apply,
                                 now: school.clock.now())
        }

        // Rehearsed: every row as it was, and no archive.
        let before = try StoredRows(database: database).tables
        let beforeTyped = try typedRows(database, sqlite: !TestDatabase.isPostgres)
        let rehearsal = try rollOver(apply: false)
        #expect(try StoredRows(database: database).tables == before)
        #expect(!FileManager.default.fileExists(atPath: rehearsal.archive))

        let summary = try rollOver(apply: true)
        #expect(summary.archive == school.directory.path("archive/2026-2027.sqlite"))
        #expect(summary.cleared.map { "\($0.table) \($0.rows)" } == rehearsal.cleared.map { "\($0.table) \($0.rows)" })
        #expect(summary.cleared.first { $0.table == "booking" }?.rows == 2)
        #expect((summary.householdsRemoved, summary.householdsAdded, summary.childrenRemoved) == (1, 1, 1))
        #expect(summary.householdsKept == before["household"]!.count - 1)
        // The archive is the old year as it was; of the family that left nothing remains in any table.
        let archive = try AppDatabase.open(path: summary.archive)
        #expect(try typedRows(archive, sqlite: true) == beforeTyped)
        try archive.close()
        #expect(try StoredRows(database: database).mentioning(household: leavingID, children: [talk.childID], texts: traces) == [])
        #expect(throws: YearRollover.ArchiveExists.self) { try rollOver(apply: true) }

        // The families staying are still known by their chats, in their language, and book in the new year.
        let telegramContact = try #require(try database.readNow { try $0.contact(channel: "telegram", address: "4242") })
        #expect(telegramContact.householdID == staying.id && telegramContact.language == "ar")
        let webAddress = web.address
        let webContact = try #require(try database.readNow { try $0.contact(channel: "webchat", address: webAddress) })
        #expect(webContact.householdID == webStaying.id && webContact.language == "nl")
        #expect(try database.readNow { try $0.activeBookings(household: staying.id ?? 0) }.isEmpty)
        let restarted = try school.restarted()
        let again = Conversation(restarted, inviteCode: "", address: "4242", channel: .telegram)   // no invite code: the chat is known
        try await bookInArabic(again)
        #expect(try restarted.runtime.database.readNow { try $0.activeBookings(household: staying.id ?? 0) }.count == 1)
        #expect(try restarted.runtime.database.readNow { try $0.household(key: "H09001") }.map(\.inviteCode.count) == InviteCode.length)
    }
}
