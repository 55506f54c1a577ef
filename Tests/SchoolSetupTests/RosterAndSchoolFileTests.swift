import DataFiles
import Foundation
import SamenspraakCore
import Testing
@testable import SchoolSetup
import TestSupport

@Suite struct RosterAndSchoolFileTests {
    let school = DemoSchool(households: 10, now: Date(timeIntervalSince1970: 1_795_424_400)).school
    let header = "child_id,child_first_name,child_last_name,group,household,guardian_name,guardian_phone,guardian_language\n"

    @Test func aGoodRosterGroupsSiblingsAndSeparatedParents() throws {
        let text = header + """
            1,Sara,El Amrani,g1,H1,Fatima El Amrani,+31612345678,ar
            2,Adam,El Amrani,g2,H1,Fatima El Amrani,+31612345678,ar
            2,Adam,El Amrani,g2,H2,Mohamed El Amrani,+31687654321,nl
            """
        let roster = try RosterCSV.parse(path: "roster.csv", text: text, school: school, languages: ["nl", "ar"])
        #expect(roster.children.count == 2)
        #expect(roster.households.map(\.childIDs) == [["1", "2"], ["2"]])
    }

    @Test func badRowsAreReportedWithTheirLineAndNothingIsReturned() {
        let text = header + """
            1,Sara,El Amrani,g1,H1,Fatima,+31612345678,ar
            2,Adam,,g99,H1,Fatima,+31612345678,ar
            3,Noor,Jansen,g1,H3,Linda,not-a-phone,xx
            """
        do {
            _ = try RosterCSV.parse(path: "roster.csv", text: text, school: school, languages: ["nl", "ar"])
            Issue.record("expected errors")
        } catch let error as FileIssues {
            #expect(error.issues.map(\.line) == [3, 4])
            #expect(error.issues[0].description.hasPrefix("roster.csv:3:"))
            #expect(error.issues[0].message.contains("g99"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func semicolonSeparatedExportsAreRead() throws {
        let text = header.replacingOccurrences(of: ",", with: ";") + "1;Sara;Smit;g1;H1;Linda Smit;;nl\n"
        #expect(try RosterCSV.parse(path: "r.csv", text: text, school: school, languages: ["nl"]).children.count == 1)
    }

    @Test func aMissingColumnIsNamed() {
        #expect(throws: FileIssues.self) { try RosterCSV.parse(path: "r.csv", text: "child_id,group\n1,g1\n", school: school, languages: ["nl"]) }
    }

    @Test func theGeneratedSchoolFileReadsBackTheSame() throws {
        let demo = DemoSchool(households: 45, now: Date(timeIntervalSince1970: 1_795_424_400))
        let reread = try SchoolFile.load(path: "school.yaml", text: SchoolFileWriter.yaml(demo.school))
        #expect(reread == demo.school)
        #expect(demo.school.groups.count >= 3 && demo.school.teachers.count >= 4)
        #expect(demo.school.groups.contains { $0.teacherIDs.count == 2 })
        #expect(demo.roster.children.count >= 60)
        #expect(demo.roster.households.contains { $0.key.hasSuffix("B") })
    }

    @Test func theDemoSchoolOffersEveryShippedLanguageDutchFirst() throws {
        let shipped = try FileManager.default.contentsOfDirectory(atPath: Repository.locales.path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
        #expect(Set(DemoSchool.languages) == Set(shipped) && DemoSchool.languages.count == shipped.count)
        #expect(DemoSchool.languages.first == "nl" && school.languages == DemoSchool.languages)
    }

    @Test func schoolFileMistakesNameTheirLine() {
        let text = """
            school:
              name: X
            booking:
              opens: 2026-08-24 08:00
              closes: yesterday
            teachers:
              - { id: a, name: A, place: L, availability: [{ date: 2026-09-01, from: "14:30", to: "16:00", kind: lunch }] }
            groups:
              - { id: g1, name: G, teachers: [b] }
            calendar:
              reports: [{ id: report 1, name: R, date: 2027-02-05 }]
              holidays: [{ id: summer, from: 2027-07-17, to: 2027-07-01 }]
              child_free_days: [2027-02-30]
            receptions:
              - { group: g9, date: 2026-09-10, from: "15:00", to: "16:00", place: Aula }
              - { group: g1, date: 2026-09-10, from: "16:00", to: "15:00", place: Aula }
            """
        do {
            _ = try SchoolFile.load(path: "school.yaml", text: text)
            Issue.record("expected errors")
        } catch let error as FileIssues {
            #expect(error.issues.contains { $0.line == 5 && $0.message.contains("closes") })
            #expect(error.issues.contains { $0.line == 7 && $0.message.contains("lunch") })
            #expect(error.issues.contains { $0.line == 9 && $0.message.contains("'b'") })
            #expect(error.issues.contains { $0.line == 11 && $0.message.contains("'report 1' cannot be an id") })
            #expect(error.issues.contains { $0.line == 12 && $0.message.contains("holiday 'summer' ends before it starts") })
            #expect(error.issues.contains { $0.line == 13 && $0.message.contains("2027-02-30") })
            #expect(error.issues.contains { $0.line == 15 && $0.message.contains("names the group 'g9', which is not in 'groups'") })
            #expect(error.issues.contains { $0.line == 16 && $0.message.contains("the reception of 'g1' ends before it starts") })
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func aPreferenceRoundReadsBackAndItsMistakesNameTheirLine() throws {
        var demo = DemoSchool(households: 10, now: Date(timeIntervalSince1970: 1_795_424_400))
        demo.school.booking.round = .preferenceRound
        demo.school.booking.changesUntil = demo.school.booking.closes
        demo.school.booking.closes = Date(timeIntervalSince1970: 1_795_424_400 + 2 * 86_400)  // before the first talks
        #expect(try SchoolFile.load(path: "school.yaml", text: SchoolFileWriter.yaml(demo.school)) == demo.school)

        func problems(_ booking: String, availability: String = "[{ date: 2026-09-01, from: \"14:30\", to: \"16:00\", kind: after_school }]") -> [FileIssue] {
            let text = """
                school: { name: X }
                booking:
                \(booking)
                teachers:
                  - { id: a, name: A, place: L, availability: \(availability) }
                groups:
                  - { id: g1, name: G, teachers: [a] }
                """
            do { _ = try SchoolFile.load(path: "school.yaml", text: text) } catch let error as FileIssues { return error.issues } catch {}
            return []
        }
        let window = "  opens: 2026-08-24 08:00\n  closes: 2026-08-31 17:00\n"
        #expect(problems(window + "  round: preference-round").contains { $0.line == 3 && $0.message.contains("needs 'booking.changes_until'") }, "\(problems(window + "  round: preference-round"))")
        #expect(problems(window + "  round: lottery").contains { $0.line == 5 && $0.message.contains("'first-come' or 'preference-round', not 'lottery'") })
        #expect(problems(window + "  changes_until: 2026-09-11 17:00").contains { $0.line == 5 && $0.message.contains("is for a preference round") })
        #expect(problems(window + "  round: preference-round\n  changes_until: 2026-08-30 17:00")
            .contains { $0.line == 6 && $0.message.contains("must be after 'booking.closes'") })
        // Households rate the teachers' blocks, and talks come after the round: a group without time, or time before
        // the round closes, is a mistake.
        let round = window + "  round: preference-round\n  changes_until: 2026-09-11 17:00"
        #expect(problems(round).isEmpty)
        #expect(problems(round, availability: "[]").contains { $0.line == 10 && $0.message.contains("group 'g1' has no time for talks") })
        #expect(problems(round, availability: "[{ date: 2026-08-31, from: \"14:30\", to: \"16:00\" }]")
            .contains { $0.line == 8 && $0.message.contains("starts before 'booking.closes'") })
        #expect(problems(window, availability: "[{ date: 2026-08-31, from: \"14:30\", to: \"16:00\" }]").isEmpty)
    }
}
