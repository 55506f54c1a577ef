import App
import Conversations
import Foundation
import HTTPServer
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

/// The staff pages over real HTTP: log in (bcrypt), a session cookie that is HttpOnly and SameSite=Strict, the
/// startgesprekken per group (a teacher sees only their own groups), log out, and login attempts limited.
@Suite struct StaffPagesTests {
    @Test func staffLogInSeeTheirGroupsAndLogOut() async throws {
        let school = try TestSchool()
        let office = try StaffPages.saveAccount(email: "office@school.nl", name: "Ans", role: "office", teacherID: nil, password: "correct-horse-1",
                                                database: school.runtime.database, cost: 4)
        #expect(office.passwordHash.hasPrefix("$2") && !office.passwordHash.contains("correct-horse"))
        let teacher = try #require(school.runtime.school.teachers(ofGroup: "g2").first)
        _ = try StaffPages.saveAccount(email: "juf@school.nl", name: teacher.name, role: "teacher", teacherID: teacher.id, password: "correct-horse-2",
                                       database: school.runtime.database, cost: 4)
        try await withLiveServer(school) { client in
            let anonymous = try await client.execute(uri: "/staff", method: .get)
            #expect(anonymous.status == .seeOther && anonymous.headers[.location] == "/staff/login")
            let form = try await client.execute(uri: "/staff/login", method: .get)
            #expect(form.status == .ok && String(buffer: form.body).contains(#"<form method="post" action="/staff/login">"#))

            let wrong = try await client.postStaffLogin("office@school.nl", "wrong-password")
            #expect(wrong.status == .unauthorized && String(buffer: wrong.body).contains("Het e-mailadres of het wachtwoord klopt niet."))

            let right = try await client.postStaffLogin("OFFICE@school.nl", "correct-horse-1")
            #expect(right.status == .seeOther && right.headers[.location] == "/staff")
            let setCookie = try #require(right.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/staff"))
            let session = try sessionCookie(of: right)
            #expect(try school.runtime.database.readNow { try $0.auditLog(limit: 10) }.contains { $0.actor == "office@school.nl" && $0.action == "log in" })
            let page = try await client.execute(uri: "/staff", method: .get, headers: [.cookie: session])
            let html = String(buffer: page.body)
            #expect(page.status == .ok && html.contains("Startgesprekken per groep"))
            for group in school.runtime.school.groups { #expect(html.contains(#"<th scope="row"><a href="/staff/groups/\#(group.id)">\#(group.name)</a></th>"#)) }

            // The office sees who could not be reached; a teacher may not.
            try school.runtime.database.writeNow { tx in
                let household = try #require(try tx.households().first?.id)
                _ = try tx.insertContact(channel: "telegram", address: "4711", for: .household(household), session: "{}", at: TestSchool.start)
                try tx.markUnreachable(channel: "telegram", address: "4711", at: TestSchool.start)
            }
            let deliveries = try await client.execute(uri: "/staff/deliveries", method: .get, headers: [.cookie: session])
            #expect(deliveries.status == .ok && String(buffer: deliveries.body).contains("<td>telegram</td>"))
            #expect(html.contains(#"<a href="/staff/deliveries">"#))

            // A teacher sees their own groups only.
            let teacherSession = try sessionCookie(of: try await client.postStaffLogin("juf@school.nl", "correct-horse-2"))
            let teacherPage = try await client.execute(uri: "/staff", method: .get, headers: [.cookie: teacherSession])
            let teacherHTML = String(buffer: teacherPage.body)
            #expect(teacherHTML.contains(#"<a href="/staff/groups/g2">Groep 3</a>"#) && !teacherHTML.contains("Groep 1/2"))
            let forbidden = try await client.execute(uri: "/staff/deliveries", method: .get, headers: [.cookie: teacherSession])
            #expect(forbidden.status == .forbidden)

            // Logging out ends the session: the old cookie opens nothing.
            let loggedOut = try await client.execute(uri: "/staff/logout", method: .post, headers: [.cookie: session])
            #expect(loggedOut.status == .seeOther)
            let afterwards = try await client.execute(uri: "/staff", method: .get, headers: [.cookie: session])
            #expect(afterwards.status == .seeOther)
        }
    }

    @Test func loginAttemptsAreLimited() async throws {
        let school = try TestSchool()
        _ = try StaffPages.saveAccount(email: "office@school.nl", name: "Ans", role: "office", teacherID: nil, password: "correct-horse-1",
                                       database: school.runtime.database, cost: 4)
        try await withLiveServer(school) { client in
            for _ in 0..<10 {
                let guess = try await client.postStaffLogin("office@school.nl", "guess")
                #expect(guess.status == .unauthorized)
            }
            // Even the right password waits now.
            let right = try await client.postStaffLogin("office@school.nl", "correct-horse-1")
            #expect(right.status == .tooManyRequests)
        }
    }

    @Test func aTeacherSubscribesToTheirTalksAndAgreedMomentsAndALeakedLinkCanBeRenewed() async throws {
        let school = try TestSchool()
        let household = try school.household()
        let parent = Conversation(school, inviteCode: household.code)
        try await parent.start(language: "nl")
        try await parent.press("Nederlands")
        try await parent.bookFirstFreeTime()
        let talk = try #require(try school.runtime.database.readNow { try $0.activeBookings(household: household.id) }.first)
        _ = try await school.runtime.service.saveAgreement(AgreementDraft(childID: talk.childID, teacherID: talk.teacherID, who: "teacher",
                                                                          what: "Ouders bellen", why: "Bijpraten", when: "early june", how: "phone")).get()
        let link = try TeacherFeedController.link(teacher: talk.teacherID, renew: false, database: school.runtime.database, publicURL: "")
        #expect(try TeacherFeedController.link(teacher: talk.teacherID, renew: false, database: school.runtime.database, publicURL: "") == link)
        try await withLiveServer(school) { client in
            let feed = try await client.execute(uri: link, method: .get)
            let text = String(buffer: feed.body)
            #expect(feed.status == .ok && feed.headers[.contentType] == "text/calendar; charset=utf-8")
            #expect(text.contains("SUMMARY:Startgesprek \(talk.childFirstName)") && text.contains("SUMMARY:Afspraak \(talk.childFirstName): Ouders bellen"))
            #expect(text.contains("DTSTART;TZID=Europe/Amsterdam:20270601T080000"))

            let renewed = try TeacherFeedController.link(teacher: talk.teacherID, renew: true, database: school.runtime.database, publicURL: "")
            let old = try await client.execute(uri: link, method: .get)
            #expect(renewed != link && old.status == .notFound)
            let new = try await client.execute(uri: renewed, method: .get)
            #expect(new.status == .ok)
        }
    }
}
