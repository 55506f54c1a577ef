import App
import Conversations
import Foundation
import HTTPServer
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

/// What staff do on the pages, over real HTTP: move and cancel a talk on behalf of the parents (who are told in their
/// own language), remind a group, look at a teacher's day, the agreements and buddies, and a family's export and
/// erasure; each page refuses the roles it is not for, and a tampered cookie opens nothing.
@Suite struct StaffPageActionsTests {
    let school: TestSchool

    init() throws {
        school = try TestSchool()
        let database = school.runtime.database
        _ = try StaffPages.saveAccount(email: "office@school.nl", name: "Ans", role: "office", teacherID: nil, password: "office-pass", database: database, cost: 4)
        _ = try StaffPages.saveAccount(email: "zorg@school.nl", name: "Ilse", role: "care", teacherID: nil, password: "care-pass", database: database, cost: 4)
    }

    /// A household that chose Arabic and booked a talk by chat.
    func arabicParentWithATalk() async throws -> (parent: Conversation, talk: BookingDetails, household: Int64) {
        let household = try school.household()
        let parent = Conversation(school, inviteCode: household.code)
        try await parent.start(language: "ar")
        try await parent.press("العربية")
        try await parent.press("حجز لقاء")
        if parent.lastMessages.last?.text.hasPrefix("لأي طفل") == true { try await parent.say("1") }
        try await parent.say("1")
        try await parent.say("1")
        let talk = try #require(try school.runtime.database.readNow { try $0.activeBookings(household: household.id) }.first)
        return (parent, talk, household.id)
    }

    func teacherAccount(ofGroup group: String) throws -> (email: String, teacher: String) {
        let teacher = try #require(school.runtime.school.teachers(ofGroup: group).first)
        let email = "\(teacher.id)@school.nl"
        _ = try StaffPages.saveAccount(email: email, name: teacher.name, role: "teacher", teacherID: teacher.id, password: "teacher-pass",
                                       database: school.runtime.database, cost: 4)
        return (email, teacher.id)
    }

    @Test func theOfficeMovesAndCancelsATalkAndTheParentsAreToldInArabic() async throws {
        let (parent, talk, household) = try await arabicParentWithATalk()
        let group = try #require(try school.runtime.database.readNow { try $0.child(id: talk.childID)?.groupID })
        let slots = try await school.runtime.service.freeSlots(forChild: talk.childID)
        let target = try #require(slots.last)
        try await withLiveServer(school) { client in
            let office = try await client.staffSession("office@school.nl", "office-pass")
            let groupPage = try await client.staffGet("/staff/groups/\(group)", office)
            #expect(groupPage.status == .ok && groupPage.html.contains(#"<a href="/staff/talks/\#(talk.bookingID)">"#))
            let talkPage = try await client.staffGet("/staff/talks/\(talk.bookingID)", office)
            #expect(talkPage.status == .ok && talkPage.html.contains(#"<option value="\#(target.id ?? 0)">"#))

            // Bad input changes nothing: no slot, a slot of another group's teacher, an unknown talk.
            #expect(try await client.staffPost("/staff/talks/\(talk.bookingID)/move", "", office).status == .badRequest)
            let otherGroup = try #require(school.runtime.school.groups.first { $0.id != group })
            let foreign = try #require(try school.runtime.database.readNow { tx in
                try tx.freeSlots(teacherIDs: school.runtime.school.teachers(ofGroup: otherGroup.id).map(\.id), from: TestSchool.start)
                    .first { slot in !school.runtime.school.teachers(ofGroup: group).contains { $0.id == slot.teacherID } }
            })
            #expect(try await client.staffPost("/staff/talks/\(talk.bookingID)/move", "slot=\(foreign.id ?? 0)", office).status == .conflict)
            #expect(try await client.staffPost("/staff/talks/999999/move", "slot=\(target.id ?? 0)", office).status == .notFound)
            #expect(try school.runtime.database.readNow { try $0.activeBooking(id: talk.bookingID) } != nil)

            let moved = try await client.staffPost("/staff/talks/\(talk.bookingID)/move", "slot=\(target.id ?? 0)", office)
            #expect(moved.status == .seeOther && moved.headers[.location] == "/staff/groups/\(group)?done=moved")
            let now = try #require(try school.runtime.database.readNow { try $0.activeBookings(household: household) }.first)
            #expect(now.slotID == target.id && now.bookingID != talk.bookingID)
            let told = try await parent.receive()
            #expect(told.count == 1 && told[0].rightToLeft && told[0].text.hasPrefix("نقلت المدرسة لقاء البداية"))
            let after = try await client.staffGet("/staff/groups/\(group)?done=moved", office)
            #expect(after.html.contains("Het gesprek is verzet."))

            // Cancelling asks for a tick first.
            #expect(try await client.staffPost("/staff/talks/\(now.bookingID)/cancel", "", office).status == .badRequest)
            let cancelled = try await client.staffPost("/staff/talks/\(now.bookingID)/cancel", "confirm=yes", office)
            #expect(cancelled.status == .seeOther)
            #expect(try school.runtime.database.readNow { try $0.activeBookings(household: household) }.isEmpty)
            let toldAgain = try await parent.receive()
            #expect(toldAgain.count == 1 && toldAgain[0].text.hasPrefix("ألغت المدرسة لقاء البداية"))
            // Cancelled twice: there is nothing left to cancel.
            #expect(try await client.staffPost("/staff/talks/\(now.bookingID)/cancel", "confirm=yes", office).status == .notFound)
            let log = try school.runtime.database.readNow { try $0.auditLog(limit: 20) }
            #expect(log.contains { $0.actor == "office@school.nl" && $0.action == "move talk" })
            #expect(log.contains { $0.actor == "office@school.nl" && $0.action == "cancel talk" })
        }
    }

    @Test func aTeacherSeesTheirDayAndMayNotTouchAnotherGroup() async throws {
        let (_, talk, _) = try await arabicParentWithATalk()
        let group = try #require(try school.runtime.database.readNow { try $0.child(id: talk.childID)?.groupID })
        let other = try #require(school.runtime.school.groups.first { group -> Bool in
            !school.runtime.school.teachers(ofGroup: group.id).contains { $0.id == talk.teacherID }
        })
        let stranger = try teacherAccount(ofGroup: other.id)
        let own = try teacherAccount(ofGroup: group)
        try await withLiveServer(school) { client in
            let strangerSession = try await client.staffSession(stranger.email, "teacher-pass")
            #expect(try await client.staffGet("/staff/groups/\(group)", strangerSession).status == .forbidden)
            #expect(try await client.staffGet("/staff/talks/\(talk.bookingID)", strangerSession).status == .forbidden)
            #expect(try await client.staffPost("/staff/talks/\(talk.bookingID)/cancel", "confirm=yes", strangerSession).status == .forbidden)
            #expect(try await client.staffPost("/staff/groups/\(group)/nudge", "", strangerSession).status == .forbidden)
            #expect(try await client.staffGet("/staff/households?key=H00001", strangerSession).status == .forbidden)
            #expect(try await client.staffGet("/staff/agenda?teacher=\(talk.teacherID)", strangerSession).status == .forbidden)
            #expect(try school.runtime.database.readNow { try $0.activeBooking(id: talk.bookingID) } != nil)

            // A tampered or made-up cookie opens nothing.
            // Its last character changed (a fixed "00" at the end was the real cookie once in a few hundred runs).
            let tampered = strangerSession.dropLast() + (strangerSession.last == "0" ? "1" : "0")
            let refused = try await client.execute(uri: "/staff/groups/\(other.id)", method: .get, headers: [.cookie: String(tampered)])
            #expect(refused.status == .seeOther && refused.headers[.location] == "/staff/login")

            // The talk's own teacher sees the day with the talk.
            let ownSession = try await client.staffSession(own.email, "teacher-pass")
            let day = SchoolDayText.of(talk.startsAt, school)
            let agenda = try await client.staffGet("/staff/agenda?teacher=\(talk.teacherID)&day=\(day)", ownSession)
            #expect(agenda.status == .ok && agenda.html.contains(talk.childFirstName) && agenda.html.contains(#"<a href="/staff/talks/\#(talk.bookingID)">"#))
            #expect(try await client.staffGet("/staff/groups/\(group)", ownSession).status == .ok)
            #expect(try await client.staffGet("/staff/groups/nonexistent", ownSession).status == .notFound)
        }
    }

    @Test func theOfficeRemindsAGroupThatHasNotBookedYet() async throws {
        let household = try school.household()
        let parent = Conversation(school, inviteCode: household.code)
        try await parent.start(language: "nl")
        try await parent.press("Nederlands")
        let group = try #require(try school.runtime.database.readNow { try $0.children(household: household.id).first?.groupID })
        try await withLiveServer(school) { client in
            let office = try await client.staffSession("office@school.nl", "office-pass")
            let coverage = try await client.staffGet("/staff", office)
            #expect(coverage.html.contains(#"<form method="post" action="/staff/groups/\#(group)/nudge""#))
            let nudged = try await client.staffPost("/staff/groups/\(group)/nudge", "", office)
            #expect(nudged.status == .seeOther && nudged.headers[.location] == "/staff?done=nudged")
            // A second click the same day plans the same reminder again, not a second one.
            _ = try await client.staffPost("/staff/groups/\(group)/nudge", "", office)
            #expect(try await client.staffPost("/staff/groups/nonexistent/nudge", "", office).status == .notFound)
        }
        #expect(try await school.runtime.service.runDueJobs().done == 1)
        let reminder = try await parent.receive()
        #expect(reminder.count == 1 && reminder.first?.choices.contains { $0.label == "Gesprek plannen" } == true)
        // The school file's own two reminders still go out later: a group's reminder does not count for them.
        #expect(try school.runtime.database.readNow { try $0.jobCount(status: "done", kind: "nudge", reference: "") } == 0)
    }

    @Test func theOfficeExportsAndErasesAFamilyFromThePage() async throws {
        let (_, _, household) = try await arabicParentWithATalk()
        let key = try #require(try school.runtime.database.readNow { try $0.household(id: household)?.key })
        try await withLiveServer(school) { client in
            let office = try await client.staffSession("office@school.nl", "office-pass")
            let page = try await client.staffGet("/staff/households?key=\(key)", office)
            #expect(page.status == .ok && page.html.contains(#"href="/staff/households/\#(key)/export""#) && page.html.contains("العربية"))
            #expect(try await client.staffGet("/staff/households?key=NOPE", office).status == .notFound)

            let export = try await client.execute(uri: "/staff/households/\(key)/export", method: .get, headers: [.cookie: office])
            #expect(export.status == .ok && export.headers[.contentDisposition]?.contains("samenspraak-\(key).json") == true)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: export.body)) as? [String: Any])
            #expect((json["talks"] as? [Any])?.count == 1 && (json["messages"] as? [Any])?.isEmpty == false)

            #expect(try await client.staffPost("/staff/households/\(key)/erase", "", office).status == .badRequest)
            #expect(try school.runtime.database.readNow { try $0.contacts(household: household).count } == 1)
            let erased = try await client.staffPost("/staff/households/\(key)/erase", "confirm=yes", office)
            #expect(erased.status == .seeOther && erased.headers[.location] == "/staff/households?done=erased")
            #expect(try school.runtime.database.readNow { try $0.contacts(household: household).count } == 0)
            let log = try school.runtime.database.readNow { try $0.auditLog(limit: 20) }
            #expect(log.contains { $0.action == "export" && $0.subject == "household \(key)" && $0.actor == "office@school.nl" })
            #expect(log.contains { $0.action == "erase" && $0.subject == "household \(key)" })
        }
    }

    @Test func theCareCoordinatorSeesAgreementsAndBuddiesButNoTalksAndThePagesSpeakEnglish() async throws {
        let (_, talk, _) = try await arabicParentWithATalk()
        _ = try await school.runtime.service.saveAgreement(AgreementDraft(childID: talk.childID, teacherID: talk.teacherID, who: "teacher",
                                                                          what: "Ouders bellen", why: "Bijpraten", when: "early june", how: "phone")).get()
        let group = try #require(try school.runtime.database.readNow { try $0.child(id: talk.childID)?.groupID })
        try await withLiveServer(school) { client in
            let care = try await client.staffSession("zorg@school.nl", "care-pass")
            let agreements = try await client.staffGet("/staff/agreements", care)
            #expect(agreements.status == .ok && agreements.html.contains("Ouders bellen") && agreements.html.contains("telefonisch"))
            #expect(try await client.staffGet("/staff/buddies", care).status == .ok)
            #expect(try await client.staffGet("/staff/groups/\(group)", care).status == .forbidden)
            #expect(try await client.staffGet("/staff/talks/\(talk.bookingID)", care).status == .forbidden)
            #expect(try await client.staffGet("/staff/deliveries", care).status == .forbidden)

            let english = try await client.execute(uri: "/staff/language/en", method: .get, headers: [.cookie: care])
            let header = try #require(english.headers[.setCookie])
            let languageCookie = String(try #require(header.split(separator: ";").first))
            let page = try await client.staffGet("/staff", care + "; " + languageCookie)
            #expect(page.html.contains(#"<html lang="en">"#) && page.html.contains("Start conversations per group"))
            #expect(try await client.execute(uri: "/staff/language/xx", method: .get, headers: [.cookie: care]).status == .notFound)
        }
    }
}

/// A school day as the agenda's query writes it (yyyy-mm-dd in the school's time zone).
enum SchoolDayText {
    static func of(_ date: Date, _ school: TestSchool) -> String { school.runtime.school.calendar.dayKey(date) }
}
