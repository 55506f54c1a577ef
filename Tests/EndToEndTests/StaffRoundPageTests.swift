import App
import Conversations
import Foundation
import HTTPServer
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

/// The preference round on the staff pages, over real HTTP: the office sees how many households answered, plans,
/// pins and swaps talks (the rest planned again around them) and publishes once; a teacher sees only their own
/// groups' proposal and changes nothing; refusals change nothing.
@Suite struct StaffRoundPageTests {
    let school: TestSchool

    init() throws {
        school = try TestSchool.preferenceRound(households: 16)
        _ = try StaffPages.saveAccount(email: "office@school.nl", name: "Ans", role: "office", teacherID: nil, password: "office-pass",
                                       database: school.runtime.database, cost: 4)
    }

    func encoded(_ scope: String) -> String { scope.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? scope }

    @Test func theOfficePlansPinsSwapsAndPublishesOnceAndATeacherOnlyLooks() async throws {
        let service = school.runtime.service
        // One household answers by chat.
        let household = try school.household()
        let parent = Conversation(school, inviteCode: household.code)
        try await parent.start(language: "nl")
        try await parent.press("Nederlands")
        try await parent.press("Gesprek plannen")
        while parent.lastMessages.last?.choices.contains(where: { $0.label == "Goed" }) == true { try await parent.press("Goed") }
        try await parent.press("Maakt niet uit")
        try await parent.receive()

        let groupID = try #require(try school.runtime.database.readNow { try $0.children(household: household.id).first?.groupID })
        let group = try #require(school.runtime.school.group(groupID))
        let otherGroup = try #require(school.runtime.school.groups.first { $0.id != groupID })
        let teacher = try #require(school.runtime.school.teachers(ofGroup: otherGroup.id).first { !group.teacherIDs.contains($0.id) })
        _ = try StaffPages.saveAccount(email: "teacher@school.nl", name: teacher.name, role: "teacher", teacherID: teacher.id, password: "teacher-pass",
                                       database: school.runtime.database, cost: 4)

        let households = try school.runtime.database.readNow { try $0.households().count }
        try await withLiveServer(school) { client in
            let office = try await client.staffSession("office@school.nl", "office-pass")
            // While the round is open: who answered, a preliminary proposal, no publishing, and no extra reminders.
            let open = try await client.staffGet("/staff/round", office)
            #expect(open.status == .ok && open.html.contains("Ouders geven hun voorkeuren tot") && open.html.contains("1 van de \(households) gezinnen gaven hun voorkeuren"))
            #expect(open.html.contains("Voorlopig voorstel maken") && !open.html.contains("/staff/round/publish"))
            #expect(!(try await client.staffGet("/staff", office).html.contains("/nudge\"")))
            #expect(try await client.staffPost("/staff/round/publish", "confirm=yes", office).status == .conflict)
            #expect(try await service.roundOverview().round == nil)

            school.clock.set(school.runtime.school.booking.closes + 60)
            #expect(try await client.staffGet("/staff/round", office).html.contains("er is nog geen voorstel"))
            let planned = try await client.staffPost("/staff/round/plan", "", office)
            #expect(planned.status == .seeOther && planned.headers[.location] == "/staff/round?done=planned")
            let page = try await client.staffGet("/staff/round?done=planned", office)
            #expect(page.html.contains("Het voorstel is gemaakt.") && page.html.contains("<h2>\(group.name)</h2>") && page.html.contains(">goed<"))
            #expect(page.html.contains("/staff/round/publish") && page.html.contains("Aanpassen"))

            // A teacher sees their own groups' proposal, without the office's forms.
            let teacherSession = try await client.staffSession("teacher@school.nl", "teacher-pass")
            let seen = try await client.staffGet("/staff/round", teacherSession)
            #expect(seen.status == .ok && seen.html.contains("<h2>\(otherGroup.name)</h2>") && !seen.html.contains("<h2>\(group.name)</h2>"))
            #expect(!seen.html.contains("Aanpassen") && !seen.html.contains("/staff/round/publish"))
            #expect(try await client.staffPost("/staff/round/plan", "", teacherSession).status == .forbidden)
            #expect(try await client.staffPost("/staff/round/publish", "confirm=yes", teacherSession).status == .forbidden)

            // Pin the household's talk to another time of its teachers.
            let overview = try await service.roundOverview()
            let talks = try #require(overview.groups[groupID])
            let own = try #require(talks.first { $0.planned.householdID == household.id })
            let talkPage = try await client.staffGet("/staff/round/talk?scope=\(encoded(own.planned.scope))", office)
            let target = try #require(talks.first { $0.planned.scope != own.planned.scope && $0.slot != nil })
            let targetSlot = try #require(target.slot?.id)
            #expect(talkPage.status == .ok && talkPage.html.contains(#"<option value="\#(targetSlot)">"#))
            #expect(talkPage.html.contains("(nu: \(target.child.firstName))"))
            #expect(try await client.staffPost("/staff/round/pin", "scope=\(encoded(own.planned.scope))", office).status == .badRequest)
            let otherChild = try #require(overview.groups[otherGroup.id]?.first).child.id
            let foreign = try #require(try await service.freeSlots(forChild: otherChild).first { !group.teacherIDs.contains($0.teacherID) })
            let refused = try await client.staffPost("/staff/round/pin", "scope=\(encoded(own.planned.scope))&slot=\(foreign.id ?? 0)", office)
            #expect(refused.status == .conflict && String(buffer: refused.body).contains("geen vrije tijd van een leerkracht"))
            let pinned = try await client.staffPost("/staff/round/pin", "scope=\(encoded(own.planned.scope))&slot=\(target.slot?.id ?? 0)", office)
            #expect(pinned.status == .seeOther && pinned.headers[.location] == "/staff/round?done=pinned")
            var now = try #require(try await service.roundOverview().talk(scope: own.planned.scope))
            #expect(now.slot?.id == target.slot?.id && now.planned.pinned)

            // Swap it with another child of the group: both pinned at each other's times.
            let partner = try #require(try await service.roundOverview().groups[groupID]?.first { $0.planned.scope != own.planned.scope && $0.slot != nil })
            let swapped = try await client.staffPost("/staff/round/swap", "scope=\(encoded(own.planned.scope))&with=\(encoded(partner.planned.scope))", office)
            #expect(swapped.status == .seeOther)
            now = try #require(try await service.roundOverview().talk(scope: own.planned.scope))
            let partnerNow = try await service.roundOverview().talk(scope: partner.planned.scope)
            #expect(now.slot?.id == partner.slot?.id && partnerNow?.slot?.id == target.slot?.id && partnerNow?.planned.pinned == true)
            #expect(try await client.staffPost("/staff/round/swap", "scope=\(encoded(own.planned.scope))&with=nobody", office).status == .badRequest)

            // Publishing asks for a tick first, then tells every household once.
            #expect(try await client.staffPost("/staff/round/publish", "", office).status == .badRequest)
            #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 0)
            let published = try await client.staffPost("/staff/round/publish", "confirm=yes", office)
            #expect(published.status == .seeOther && published.headers[.location] == "/staff/round?done=published")
            let told = try await parent.receive()
            #expect(told.contains { $0.text.hasPrefix("Uw startgesprek over") })
            let booked = try school.runtime.database.readNow { try $0.activeBookingCount() }
            #expect(booked > 0)
            let again = try await client.staffPost("/staff/round/publish", "confirm=yes", office)
            #expect(again.status == .conflict && String(buffer: again.body).contains("al gepubliceerd"))
            #expect(try await client.staffPost("/staff/round/plan", "", office).status == .conflict)
            #expect(try await parent.receive().isEmpty)
            #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == booked)
            let after = try await client.staffGet("/staff/round", office)
            #expect(after.html.contains("Het voorstel is gepubliceerd") && !after.html.contains("Aanpassen"))
            let log = try school.runtime.database.readNow { try $0.auditLog(limit: 50) }
            #expect(["plan round", "pin talk", "publish round"].allSatisfy { action in log.contains { $0.actor == "office@school.nl" && $0.action == action } })
        }
    }

    @Test func aFirstComeSchoolHasNoRoundPage() async throws {
        let plain = try TestSchool()
        _ = try StaffPages.saveAccount(email: "office@school.nl", name: "Ans", role: "office", teacherID: nil, password: "office-pass",
                                       database: plain.runtime.database, cost: 4)
        try await withLiveServer(plain) { client in
            let office = try await client.staffSession("office@school.nl", "office-pass")
            #expect(try await client.staffGet("/staff/round", office).status == .notFound)
            #expect(!(try await client.staffGet("/staff", office).html.contains("/staff/round")))
            #expect(try await client.staffPost("/staff/round/plan", "", office).status == .conflict)
        }
    }
}
