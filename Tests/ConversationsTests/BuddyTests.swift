import Conversations
import Foundation
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// Buddies by chat through the service and a real SQLite file: offering help, asking for a buddy, the double opt-in,
/// writing through Samenspraak, exchanging numbers only when both chose to, ending, and what the database refuses.
@Suite struct BuddyTests {
    func chat(_ school: TestSchool, rosterLanguage: String, skip: Int = 0, language: String) async throws -> (Conversation, Int64) {
        try await school.chat(rosterLanguage: rosterLanguage, skip: skip, language: language)
    }

    func phones(_ school: TestSchool, _ household: Int64) throws -> [String] {
        try school.runtime.database.readNow { try $0.guardians(household: household).map(\.phone) }
    }

    @Test func anArabicParentAndADutchBuddyAreIntroducedEachInTheirOwnLanguageAndTalkThroughSamenspraak() async throws {
        let school = try TestSchool()
        let (dutch, buddy) = try await chat(school, rosterLanguage: "nl", language: "nl")
        let (arabic, parent) = try await chat(school, rosterLanguage: "ar", language: "ar")
        try await school.offerHelp(dutch)
        #expect(dutch.lastMessages.first?.text.hasPrefix("Dank u wel! U staat nu als buddy ingeschreven.") == true)

        // The Arabic parent asks for a buddy for the language: found at once, both asked separately.
        try await school.askForHelp(arabic)   // I'd like a buddy: Dutch and understanding school
        let question = try #require(arabic.lastMessages.last)
        #expect(question.rightToLeft && question.choices.count == 2)
        let asked = try #require(try await dutch.receive().first)
        #expect(asked.text.hasPrefix("Een ouder zoekt een buddy: ") && asked.text.contains("العربية"))
        try await dutch.press("Ja, graag", in: asked)
        #expect(dutch.lastMessages.first?.text.hasPrefix("Dank u! We wachten nog op het antwoord van ") == true)
        try await arabic.press(question.choices[0].label, in: question)
        let introduced = try #require(arabic.lastMessages.first)
        let welcome = try #require(try await dutch.receive().first)
        #expect(welcome.text.hasPrefix("Fijn: u en ") && welcome.choices.count == 2)

        // They write through Samenspraak: each sees the other's words, never a number or a chat address.
        try await arabic.press(introduced.choices[0].label, in: introduced)
        try await arabic.say("مرحبا! شكرا لمساعدتك.")
        let relayed = try #require(try await dutch.receive().first)
        #expect(relayed.text.hasSuffix("schrijft:\nمرحبا! شكرا لمساعدتك."))
        try await dutch.press(try #require(relayed.choices.first).label, in: relayed)
        try await dutch.say("Welkom! Zullen we na school even koffie drinken?")
        #expect(try await arabic.receive().first?.text.hasSuffix("Welkom! Zullen we na school even koffie drinken?") == true)
        let secrets = try phones(school, parent) + phones(school, buddy) + [dutch.address, arabic.address]
        for line in dutch.transcript + arabic.transcript {
            #expect(!secrets.contains { line.contains($0) }, "\(line)")
        }

        // Numbers only once both chose to share them.
        try await dutch.press("Nummer delen", in: welcome)
        #expect(dutch.lastMessages.map(\.text).first?.hasPrefix("We geven uw telefoonnummer pas door als ") == true)
        let offer = try #require(try await arabic.receive().first)
        #expect(!(try phones(school, buddy)).contains { offer.text.contains($0) })
        try await arabic.press(try #require(offer.choices.first).label, in: offer)
        let (buddyPhone, parentPhone) = (try #require(try phones(school, buddy).first), try #require(try phones(school, parent).first))
        #expect(arabic.lastMessages.first?.text.contains(buddyPhone) == true)
        #expect(try await dutch.receive().first?.text.contains(parentPhone) == true)

        try GoldenTranscripts.compare(dutch.transcript, with: "buddy-nl")
        try GoldenTranscripts.compare(arabic.transcript, with: "buddy-ar")

        let stored = try #require(try school.runtime.database.readNow { try $0.buddyIntroductions(household: parent) }.first)
        #expect(stored.state == "paired" && stored.parentID == parent && stored.buddyID == buddy && stored.language == "ar")
        #expect(stored.parentConsentAt != nil && stored.buddyConsentAt != nil)
    }
}

extension BuddyTests {
    @Test func aNoLetsTheSearchGoOnWithTheNextBuddyAndNeverProposesTheSameTwoAgain() async throws {
        let school = try TestSchool()
        let (first, _) = try await chat(school, rosterLanguage: "nl", language: "nl")
        let (second, _) = try await chat(school, rosterLanguage: "nl", skip: 1, language: "nl")
        let (arabic, parent) = try await chat(school, rosterLanguage: "ar", language: "ar")
        try await school.offerHelp(first)
        try await school.offerHelp(second)
        try await school.askForHelp(arabic)
        // One of the two is asked (the best fit), and says no: the parent hears only that it does not go on.
        let (toFirst, toSecond) = (try await first.receive(), try await second.receive())
        #expect(toFirst.count + toSecond.count == 1)
        let (asked, other) = toFirst.isEmpty ? (second, first) : (first, second)
        let question = try #require(asked.lastMessages.first)
        try await asked.press("Nee, liever niet", in: question)
        #expect(asked.lastMessages.map(\.text) == ["Dank u voor uw antwoord, geen probleem!"])
        let news = try await arabic.receive()
        #expect(news.count == 2 && news[1].choices.count == 2)   // it does not go ahead; a new proposal
        #expect(try await other.receive().first?.text.hasPrefix("Een ouder zoekt een buddy: ") == true)
        // An old button changes nothing.
        try await asked.press("Ja, graag", in: question)
        #expect(asked.lastMessages.map(\.text) == ["Over deze kennismaking is al beslist, of de tijd om te antwoorden is voorbij."])
        // The parent says no to the second one too: nobody is left, and the care coordinator's list says why.
        try await arabic.press(news[1].choices[1].label, in: news[1])
        let need = try #require(try school.runtime.database.readNow { try $0.openBuddyNeed(household: parent) })
        #expect(need.unmatched == "declined")
        #expect(try await other.receive().first?.text.hasPrefix("De kennismaking met ") == true)
        let states = try school.runtime.database.readNow { try $0.buddyIntroductions(household: parent).map(\.state) }
        #expect(states == ["declined", "declined"])
    }

    @Test func aParentNobodyFitsWaitsUntilSomeoneOffersAndThenBothAreAsked() async throws {
        let school = try TestSchool()
        let (arabic, parent) = try await chat(school, rosterLanguage: "ar", language: "ar")
        try await school.askForHelp(arabic)
        #expect(try school.runtime.database.readNow { try $0.openBuddyNeed(household: parent) }?.unmatched == "no_volunteers")
        try await arabic.say("buddy")
        try await arabic.say("1")   // now: stop looking … or is it? The menu shows what is possible.
        #expect(try school.runtime.database.readNow { try $0.openBuddyNeed(household: parent) } == nil)
        try await school.askForHelp(arabic)
        // A Dutch-only volunteer does not fit a language need.
        let (dutch, _) = try await chat(school, rosterLanguage: "nl", language: "nl")
        try await dutch.say("buddy")
        try await dutch.press("Ik wil buddy zijn")
        try await dutch.press("Klaar")
        try await dutch.press("Met de taal")
        try await dutch.press("Klaar")
        try await dutch.press("2 ouders")
        #expect(try school.runtime.database.readNow { try $0.openBuddyNeed(household: parent) }?.unmatched == "no_shared_language:ar,nl")
        #expect(try await arabic.receive().isEmpty)
        // Changing the offer to add Arabic asks both at once.
        try await dutch.say("buddy")
        try await dutch.press("Mijn aanbod aanpassen")
        try await dutch.press("العربية")
        try await dutch.press("Klaar")
        try await dutch.press("Klaar")
        try await dutch.press("2 ouders")
        #expect(try await arabic.receive().count == 1)
        #expect(dutch.lastMessages.last?.text.hasPrefix("Een ouder zoekt een buddy: ") == true)
        let offer = try #require(try school.runtime.database.readNow { try $0.buddyVolunteers() }.first)
        #expect(offer.languages == ["nl", "ar"] && offer.situations == ["language"] && offer.capacity == 2)
    }

    @Test func theDatabaseRefusesAPairingWithoutBothConsentsAndAParentWithThemselves() async throws {
        let school = try TestSchool()
        let now = school.clock.now()
        try school.runtime.database.writeNow { tx in
            let households = try tx.households().compactMap(\.id)
            let need = try tx.openBuddyNeed(household: households[0], situation: "language", source: "parent", acceptedAt: now, at: now)
            // Each refusal in a savepoint: on PostgreSQL a refused statement would end the whole transaction.
            #expect(try tx.isolated { _ = try tx.insertBuddyIntroduction(needID: need.id, parentID: households[0], buddyID: households[0], language: "nl", at: now) } != nil)
            var introduction = try tx.insertBuddyIntroduction(needID: need.id, parentID: households[0], buddyID: households[1], language: "nl", at: now)
            introduction.state = "paired"
            introduction.parentConsentAt = now
            #expect(try tx.isolated { try tx.saveBuddyIntroduction(introduction) } != nil)
            introduction.buddyConsentAt = now
            try tx.saveBuddyIntroduction(introduction)
            // A household has one open need at a time.
            #expect(try tx.openBuddyNeed(household: households[0], situation: "learning", source: "parent", acceptedAt: now, at: now).id == need.id)
        }
    }

    @Test func aFamilysExportHoldsItsBuddyDataAndErasureRemovesItAndThePairing() async throws {
        let school = try TestSchool()
        let (dutch, buddy) = try await chat(school, rosterLanguage: "nl", language: "nl")
        let (arabic, parent) = try await chat(school, rosterLanguage: "ar", language: "ar")
        try await school.offerHelp(dutch)
        try await school.askForHelp(arabic)
        let export = try school.runtime.database.readNow { tx in try tx.export(household: try #require(try tx.household(id: buddy))) }
        #expect(export.buddies.offer?.languages == ["nl", "ar"] && export.buddies.introductions.map(\.role) == ["buddy"])
        try school.runtime.database.writeNow { tx in _ = try tx.erase(household: try #require(try tx.household(id: buddy)), makeInviteCode: { UUID().uuidString }) }
        let (offer, introductions, need) = try school.runtime.database.readNow { tx in
            (try tx.buddyVolunteer(household: buddy), try tx.buddyIntroductions(household: parent), try tx.openBuddyNeed(household: parent))
        }
        #expect(offer == nil && introductions.isEmpty && need != nil)
        let traces = try StoredRows(database: school.runtime.database).mentioning(household: buddy, children: [], texts: [])
        #expect(traces.filter { $0.hasPrefix("buddy") } == [])
    }
}

extension BuddyTests {
    /// The Dutch buddy and the Arabic parent of the first test, asked but not yet answered.
    func asked(_ school: TestSchool) async throws -> (dutch: Conversation, arabic: Conversation, question: OutboundMessage, proposal: OutboundMessage) {
        let (dutch, _) = try await chat(school, rosterLanguage: "nl", language: "nl")
        let (arabic, _) = try await chat(school, rosterLanguage: "ar", language: "ar")
        try await school.offerHelp(dutch)
        try await school.askForHelp(arabic)
        let proposal = try #require(arabic.lastMessages.last)
        let question = try #require(try await dutch.receive().first)
        return (dutch, arabic, question, proposal)
    }

    /// Moves the clock to the pending job of `kind` and runs what is due, again after quiet hours postponed it.
    func runJobs(_ school: TestSchool, kind: String) async throws {
        for _ in 0..<3 {
            guard let job = try school.runtime.database.readNow({ try $0.pendingJobs(keyPrefix: "buddy:") }).first(where: { $0.kind == kind }) else { return }
            school.clock.set(max(job.dueAt, school.clock.now()))
            _ = try await school.runtime.service.runDueJobs()
        }
        Issue.record("the \(kind) job never ran")
    }

    @Test func anUnansweredQuestionLapsesAfterAWeekAndAPairIsAskedAfterTwoWeeksWhetherItHelps() async throws {
        let school = try TestSchool()
        let (dutch, arabic, question, _) = try await asked(school)
        try await dutch.press("Ja, graag", in: question)
        // A week later the parent still has not answered: both hear it does not go ahead; the buddy is free again.
        let lapse = try #require(try school.runtime.database.readNow { try $0.pendingJobs(keyPrefix: "buddy:") }.first)
        #expect(lapse.kind == "buddy_expire" && lapse.dueAt == school.clock.now() + 7 * 24 * 3600)
        try await runJobs(school, kind: "buddy_expire")
        #expect(try await dutch.receive().map(\.text) == ["De kennismaking met Emre gaat niet door: er kwamen niet binnen een week twee antwoorden."])
        #expect(try await arabic.receive().count == 1)
        #expect(try school.runtime.database.readNow { try $0.buddyIntroductions() }.map(\.state) == ["expired"])

        // Asked again (the parent asks anew and the lapsed pair is not proposed again: nobody else fits).
        try await arabic.say("buddy")
        #expect(arabic.lastMessages.first?.choices.count == 3)   // stop looking, be a buddy, back
    }

    @Test func twoWeeksAfterPairingBothAreAskedWhetherItHelpsAndANotReallyCanEndIt() async throws {
        let school = try TestSchool()
        let (dutch, arabic, question, proposal) = try await asked(school)
        try await dutch.press("Ja, graag", in: question)
        try await arabic.press(proposal.choices[0].label, in: proposal)
        _ = try await dutch.receive()
        let checkIn = try #require(try school.runtime.database.readNow { try $0.pendingJobs(keyPrefix: "buddy:") }.first { $0.kind == "buddy_check_in" })
        #expect(checkIn.dueAt == school.clock.now() + 14 * 24 * 3600)
        #expect(try school.runtime.database.readNow { try $0.pendingJobs(keyPrefix: "buddy:") }.count == 2)   // the lapse is still planned…
        try await runJobs(school, kind: "buddy_check_in")
        let finished = try school.runtime.database.readNow { tx in try ["done", "skipped"].flatMap { try tx.jobs(status: $0, limit: 100) } }
        #expect(finished.filter { $0.key.hasPrefix("buddy:") }.map(\.status) == ["done", "skipped"])             // … and skipped: answered
        let asked = try #require(try await dutch.receive().first)
        #expect(asked.text == "U en Emre zijn nu twee weken buddy's. Helpt het contact u?" && asked.choices.map(\.label) == ["Ja, het helpt", "Niet echt"])
        #expect(try await arabic.receive().first?.choices.count == 2)
        try await dutch.press("Niet echt", in: asked)
        try await dutch.press("Ja, beëindigen")
        #expect(dutch.lastMessages.first?.text == "Het buddycontact met Emre is beëindigd. Typ 'buddy' als u iemand anders wilt.")
        #expect(try await arabic.receive().first?.rightToLeft == true)
        let stored = try #require(try school.runtime.database.readNow { try $0.buddyIntroductions() }.first)
        #expect(stored.state == "ended" && stored.buddyCheckIn == "poor" && stored.endedAt != nil)
        try await dutch.press("Niet echt", in: asked)   // an old button: the pairing is gone
        #expect(dutch.lastMessages.first?.text == "Dit buddycontact bestaat niet meer.")
    }

    @Test func aBuddyWhoSaysStopEndsThePairingKindlyForTheOther() async throws {
        let school = try TestSchool()
        let (dutch, arabic, question, proposal) = try await asked(school)
        try await dutch.press("Ja, graag", in: question)
        try await arabic.press(proposal.choices[0].label, in: proposal)
        let introduced = try #require(arabic.lastMessages.first)
        try await dutch.say("stop")
        let told = try #require(try await arabic.receive().first)
        #expect(told.rightToLeft && told.text.contains("Kees"))
        #expect(try school.runtime.database.readNow { try $0.buddyIntroductions() }.map(\.state) == ["ended"])
        // The relay is closed: writing is refused kindly, and nothing reaches the buddy who stopped.
        try await arabic.press(introduced.choices[0].label, in: introduced)
        #expect(arabic.lastMessages.first?.text == school.runtime.service.localizer.text("buddy.gone", [:], language: "ar"))
        #expect(try await dutch.receive().allSatisfy { !$0.text.contains("Kees") && !$0.text.contains("Emre") })
    }
}

extension BuddyTests {
    @Test func aTeacherSuggestsABuddyAfterTheTalkAndTheParentsDecideInTheirOwnLanguage() async throws {
        let school = try TestSchool()
        let (arabic, parent) = try await chat(school, rosterLanguage: "ar", language: "ar")
        let child = try #require(try school.runtime.database.readNow { try $0.children(household: parent) }.first)
        let teacher = try #require(school.runtime.school.teachers(ofGroup: child.groupID).first)
        let code = try #require(try school.runtime.staffInvites(now: school.clock.now()).first { $0.teacher.id == teacher.id }).code
        let teacherChat = Conversation(school, inviteCode: code)
        try await teacherChat.start()
        try await teacherChat.say("buddy")
        try await teacherChat.say(child.firstName)
        if teacherChat.lastMessages.last?.text.hasPrefix("Voor welk kind") == true { try await teacherChat.say("1") }   // two children share the name
        try await teacherChat.press("Leerproblemen zoals dyslexie")
        #expect(teacherChat.lastMessages.first?.text.hasPrefix("De ouders van \(child.firstName) krijgen in hun eigen taal de vraag") == true)
        let question = try #require(try await arabic.receive().first)
        #expect(question.rightToLeft && question.choices.count == 2)
        // Asking again while the parents decide changes nothing.
        try await teacherChat.say("buddy")
        try await teacherChat.say(child.firstName)
        if teacherChat.lastMessages.last?.text.hasPrefix("Voor welk kind") == true { try await teacherChat.say("1") }
        try await teacherChat.press("Leerproblemen zoals dyslexie")
        #expect(teacherChat.lastMessages.first?.text == "De ouders van \(child.firstName) hebben al een buddy of een open vraag.")
        try await arabic.press(question.choices[1].label, in: question)   // no, thank you
        let needs = try school.runtime.database.readNow { try $0.buddyNeeds() }
        #expect(needs.count == 1 && needs[0].source == "teacher:\(teacher.id)" && needs[0].situation == "learning" && needs[0].closedAt != nil && needs[0].acceptedAt == nil)
    }
}

extension BuddyTests {
    @Test func aParentWhoStopsLookingWhileABuddyIsAskedFreesTheBuddy() async throws {
        let school = try TestSchool()
        let (dutch, _) = try await chat(school, rosterLanguage: "nl", language: "nl")
        let (arabic, _) = try await chat(school, rosterLanguage: "ar", language: "ar")
        try await school.offerHelp(dutch)
        try await school.askForHelp(arabic)
        let question = try #require(try await dutch.receive().first)
        try await arabic.say("buddy")
        try await arabic.say("1")   // stop looking
        #expect(try await dutch.receive().first?.text.hasPrefix("De kennismaking met ") == true)
        #expect(try school.runtime.database.readNow { try $0.buddyIntroductions() }.map(\.state) == ["expired"])
        #expect(try school.runtime.database.readNow { try $0.activeBuddyCounts() }.isEmpty)
        try await dutch.press("Ja, graag", in: question)
        #expect(dutch.lastMessages.first?.text == "Over deze kennismaking is al beslist, of de tijd om te antwoorden is voorbij.")
    }
}
