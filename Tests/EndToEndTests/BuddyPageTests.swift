import App
import Foundation
import HTTPServer
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

/// The care coordinator's buddy page and the staff API's flag over real HTTP: a family is suggested a buddy and asked
/// in its own language first; every bad request gets its reason and changes nothing.
@Suite struct BuddyPageTests {
    static let token = "staff-token-for-tests-0123456789"

    @Test func theCareCoordinatorSuggestsABuddyAndTheParentIsAskedInArabicFirst() async throws {
        let school = try TestSchool(staffToken: Self.token)
        _ = try StaffPages.saveAccount(email: "zorg@school.nl", name: "Ilse", role: "care", teacherID: nil, password: "care-pass",
                                       database: school.runtime.database, cost: 4)
        let household = try school.household()
        let key = try #require(try school.runtime.database.readNow { try $0.household(id: household.id) }).key
        let parent = Conversation(school, inviteCode: household.code)
        try await parent.start(language: "ar")
        try await parent.press("العربية")
        try await withLiveServer(school) { client in
            let care = try await client.staffSession("zorg@school.nl", "care-pass")
            #expect(try await client.staffPost("/staff/buddies/flag", "household=&situation=learning", care).status == .notFound)
            #expect(try await client.staffPost("/staff/buddies/flag", "household=\(key)", care).status == .badRequest)
            #expect(try await client.staffPost("/staff/buddies/flag", "household=\(key)&situation=nonsense", care).status == .badRequest)
            #expect(try school.runtime.database.readNow { try $0.buddyNeeds() }.isEmpty)

            let flagged = try await client.staffPost("/staff/buddies/flag", "household=\(key)&situation=learning", care)
            #expect(flagged.status == .seeOther && flagged.headers[.location] == "/staff/buddies?done=flagged")
            #expect(try await client.staffPost("/staff/buddies/flag", "household=\(key)&situation=learning", care).status == .conflict)
            let page = try await client.staffGet("/staff/buddies?done=flagged", care)
            #expect(page.status == .ok && page.html.contains("De ouder is gevraagd of die een buddy wil.") && page.html.contains("ouder is gevraagd of die een buddy wil"))

            // The parent decides, in Arabic; nobody has offered yet, so the page says why nobody fits.
            let question = try #require(try await parent.receive().first)
            #expect(question.rightToLeft && question.choices.count == 2)
            try await parent.press(question.choices[0].label, in: question)
            #expect(parent.lastMessages.first?.rightToLeft == true)
            let after = try await client.staffGet("/staff/buddies", care)
            #expect(after.html.contains("niemand past nu: nog geen buddy&#39;s") || after.html.contains("niemand past nu: nog geen buddy's"))

            // Teachers do not see the page; the API flags with a reason for every refusal.
            let (email, _) = try teacherAccount(school)
            let teacher = try await client.staffSession(email, "teacher-pass")
            #expect(try await client.staffGet("/staff/buddies", teacher).status == .forbidden)
            #expect(try await client.staffPost("/staff/buddies/flag", "household=\(key)&situation=learning", teacher).status == .forbidden)
            let other = try #require(try school.runtime.database.readNow { try $0.households() }.first { $0.id != household.id })
            for (body, status) in [("{}", HTTPResponse.Status.badRequest),
                                   (#"{"household": "nobody", "situation": "learning"}"#, .notFound),
                                   (#"{"household": "\#(other.key)", "situation": "cooking"}"#, .unprocessableContent),
                                   (#"{"household": "\#(other.key)", "situation": "learning", "teacher": "nobody"}"#, .unprocessableContent),
                                   (#"{"household": "\#(other.key)", "situation": "learning"}"#, .unprocessableContent),   // no chat to ask
                                   (#"{"household": "\#(key)", "situation": "learning"}"#, .conflict)] {
                let response = try await client.execute(uri: "/api/buddy-needs", method: .post,
                                                        headers: [.contentType: "application/json", .authorization: "Bearer \(Self.token)"],
                                                        body: ByteBuffer(string: body))
                #expect(response.status == status, "\(body)")
            }
            #expect(try school.runtime.database.readNow { try $0.buddyNeeds() }.count == 1)
            let log = try school.runtime.database.readNow { try $0.auditLog(limit: 20) }
            #expect(log.contains { $0.action == "flag buddy need" && $0.subject == "household \(key)" && $0.actor == "zorg@school.nl" })
        }
    }

    func teacherAccount(_ school: TestSchool) throws -> (email: String, teacher: String) {
        let teacher = try #require(school.runtime.school.teachers.first)
        let email = "\(teacher.id)@school.nl"
        _ = try StaffPages.saveAccount(email: email, name: teacher.name, role: "teacher", teacherID: teacher.id, password: "teacher-pass",
                                       database: school.runtime.database, cost: 4)
        return (email, teacher.id)
    }
}
