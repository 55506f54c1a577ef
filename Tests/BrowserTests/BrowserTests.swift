import App
import Conversations
import Foundation
import HTTPServer
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// The pages in a real browser (headless Chromium, a phone-sized window), against the daemon on 127.0.0.1:
/// the office logs in, looks at the coverage and moves a talk; a parent opens the invitation link, chooses Arabic
/// and books a talk, with the page laid out right to left.
@Suite(.serialized) struct BrowserTests {
    @Test func chromiumIsInstalledWhereTheBrowserTestsAreRequired() {
        #expect(!Chromium.isRequired || Chromium.executable != nil, "SAMENSPRAAK_BROWSER_TESTS=required but there is no chromium")
    }

    @Test(.enabled(if: Chromium.executable != nil, "needs Debian's chromium (apt-get install chromium)"))
    func theOfficeLogsInLooksAtTheCoverageAndMovesATalk() async throws {
        let school = try TestSchool()
        _ = try StaffPages.saveAccount(email: "office@school.nl", name: "Ans", role: "office", teacherID: nil, password: "office-pass",
                                       database: school.runtime.database, cost: 4)
        let household = try school.household()
        let parent = Conversation(school, inviteCode: household.code)
        try await parent.start(language: "nl")
        try await parent.press("Nederlands")
        try await parent.bookFirstFreeTime()
        let talk = try #require(try school.runtime.database.readNow { try $0.activeBookings(household: household.id) }.first)
        let group = try #require(try school.runtime.database.readNow { try $0.child(id: talk.childID)?.groupID })
        let target = try #require(try await school.runtime.service.freeSlots(forChild: talk.childID).last)
        _ = try await parent.receive()

        try await withLiveServer(school) { client in
            let base = "http://127.0.0.1:\(client.port ?? 0)"
            try await Chromium.withPage { page in
                try await page.navigate("\(base)/staff/login")
                _ = try await page.evaluate("""
                    document.querySelector('input[name=email]').value = 'office@school.nl';
                    document.querySelector('input[name=password]').value = 'office-pass';
                    document.querySelector('form button[type=submit]').click();
                    """)
                try await page.waitFor("location.pathname === '/staff' && document.querySelector('h1')?.textContent === 'Startgesprekken per groep'")
                #expect(try await page.evaluate("document.querySelectorAll('main tbody tr').length") as? Int == school.runtime.school.groups.count)
                // Usable on a phone: nothing wider than the screen.
                #expect(try await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") as? Bool == true)

                _ = try await page.evaluate("document.querySelector('a[href=\"/staff/groups/\(group)\"]').click()")
                try await page.waitFor("document.querySelector('a[href=\"/staff/talks/\(talk.bookingID)\"]')")
                _ = try await page.evaluate("document.querySelector('a[href=\"/staff/talks/\(talk.bookingID)\"]').click()")
                try await page.waitFor("document.querySelector('select[name=slot]')")
                _ = try await page.evaluate("""
                    const select = document.querySelector('select[name=slot]');
                    select.value = '\(target.id ?? 0)';
                    select.form.querySelector('button[type=submit]').click();
                    """)
                try await page.waitFor("location.search === '?done=moved' && document.querySelector('.notice')")
                #expect(try await page.string("document.querySelector('.notice').textContent").hasPrefix("Het gesprek is verzet."))
                #expect(try await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") as? Bool == true)
            }
        }
        let moved = try #require(try school.runtime.database.readNow { try $0.activeBookings(household: household.id) }.first)
        #expect(moved.slotID == target.id)
        #expect(try await parent.receive().first?.text.hasPrefix("De school heeft het startgesprek over \(talk.childFirstName) verzet") == true)
    }

    /// Arabic and Persian: the language's name in the menu, its "book" button, its "which child" question, its input placeholder.
    static let rightToLeft = [("ar", "العربية", "حجز لقاء", "لأي طفل", "اكتبوا رسالتكم…"),
                              ("fa", "فارسی", "گرفتن وقت", "برای کدام فرزندتان", "پیام خود را بنویسید…")]

    @Test(.enabled(if: Chromium.executable != nil, "needs Debian's chromium (apt-get install chromium)"), arguments: BrowserTests.rightToLeft)
    func aParentOpensTheInvitationChoosesArabicOrPersianAndBooksATalkRightToLeft(
        language: String, name: String, book: String, whichChild: String, placeholder: String
    ) async throws {
        let school = try TestSchool()
        let household = try school.household()
        let code = InviteCode.display(household.code)
        try await withLiveServer(school) { client in
            let base = "http://127.0.0.1:\(client.port ?? 0)"
            try await Chromium.withPage { page in
                try await page.navigate("\(base)/chat/\(code)")
                try await Self.press(name, on: page)
                try await page.waitFor("document.documentElement.dir === 'rtl' && document.documentElement.lang === '\(language)'")
                #expect(try await page.string("document.getElementById('input').placeholder") == placeholder)
                try await Self.press(book, on: page)
                if try await page.string(Self.lastSchoolMessage).hasPrefix(whichChild) { try await Self.pressFirst(on: page) }
                try await Self.pressFirst(on: page)  // the first day
                try await Self.pressFirst(on: page)  // the first time
                try await page.waitFor("[...document.querySelectorAll('li.msg--school .bubble')].some(b => b.textContent.includes('/ics/'))")
                // The school's messages read right to left; the last one sits on the right edge of the screen.
                #expect(try await page.string("getComputedStyle(\(Self.lastSchool).querySelector('.bubble')).direction") == "rtl")
                #expect(try await page.evaluate("""
                    (() => { const r = \(Self.lastSchool).querySelector('.bubble').getBoundingClientRect();
                             return window.innerWidth - r.right < r.left; })()
                    """) as? Bool == true)
                #expect(try await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") as? Bool == true)
            }
        }
        #expect(try school.runtime.database.readNow { try $0.activeBookings(household: household.id) }.count == 1)
    }

    static let lastSchool = "[...document.querySelectorAll('li.msg--school')].at(-1)"
    static let lastSchoolMessage = "(\(lastSchool)?.querySelector('.bubble')?.textContent ?? '')"

    /// Presses the enabled choice labelled `label` and waits for the school's answer.
    static func press(_ label: String, on page: DevToolsPage) async throws {
        try await page.waitFor("[...document.querySelectorAll('button.choice:not(:disabled)')].some(b => b.textContent === \(DevToolsPage.literal(label)))")
        try await click("[...document.querySelectorAll('button.choice:not(:disabled)')].find(b => b.textContent === \(DevToolsPage.literal(label)))", on: page)
    }

    /// Presses the first enabled choice (the newest message's first option) and waits for the school's answer.
    static func pressFirst(on page: DevToolsPage) async throws {
        try await page.waitFor("document.querySelector('button.choice:not(:disabled)')")
        try await click("document.querySelector('button.choice:not(:disabled)')", on: page)
    }

    static func click(_ button: String, on page: DevToolsPage) async throws {
        let before = try await page.evaluate("document.querySelectorAll('li.msg--school').length") as? Int ?? 0
        _ = try await page.evaluate("\(button).click()")
        try await page.waitFor("document.querySelectorAll('li.msg--school').length > \(before) && !document.querySelector('li.is-pending')")
    }
}
