import App
import Conversations
import Foundation
import Storage
import Testing
import TestSupport

/// What a teacher writes in an agreement reaches Arabic parents translated by a fake LibreTranslate on 127.0.0.1, with
/// the teacher's own words kept under it; the written record waits a little for the translation but not long, and when
/// the provider fails it goes in Dutch with a short note.
@Suite struct AgreementTranslationTests {
    let what = "De leerkracht belt de ouders"
    let why = "Zo weten we op tijd of er iets speelt"

    /// An Arabic chat for a household with a child, and an agreement about that child.
    func arabicFamily(_ school: TestSchool) async throws -> (Conversation, AgreementDraft) {
        let (chat, household) = try await school.chat(rosterLanguage: "ar", language: "ar")
        _ = try await chat.receive()
        let child = try #require(try school.runtime.database.readNow { try $0.children(household: household) }.first)
        let teacher = try #require(school.runtime.school.teachers(ofGroup: child.groupID).first)
        return (chat, AgreementDraft(childID: child.id, teacherID: teacher.id, who: "teacher", what: what, why: why,
                                     when: "week after report1", how: "phone", checkIn: "Hoe gaat het thuis?"))
    }

    @Test func theWrittenAgreementWaitsForItsTranslationAndKeepsTheTeachersWords() async throws {
        let provider = FakeLibreTranslate()
        try await provider.school { school in
            let service = school.runtime.service
            let (chat, draft) = try await arabicFamily(school)
            _ = try await service.saveAgreement(draft).get()
            #expect(try await service.runDueJobs().postponed == 1)          // waits for the translation…
            #expect(try await chat.receive().isEmpty)
            #expect(try await service.translateAgreements() == 1)            // … which the loop makes outside any step
            #expect(provider.requests.count == 3)                           // what, why and the check-in question
            school.clock.advance(by: 15)
            #expect(try await service.runDueJobs().done == 1)
            let written = try #require(try await chat.receive().first)
            #expect(written.rightToLeft && written.text.contains("[ar] \(what)") && written.text.contains("[ar] \(why)"))
            #expect(written.text.hasSuffix("(ترجمة آلية. كتب المعلّم: «\(what)» – «\(why)»)"))
            #expect(try await service.translateAgreements() == 0)            // kept: not asked again

            // Changing the agreement translates it afresh.
            _ = try await service.saveAgreement(AgreementDraft(childID: draft.childID, teacherID: draft.teacherID, who: "teacher", what: "Wij bellen",
                                                               why: draft.why, when: draft.when, how: draft.how, checkIn: draft.checkIn),
                                                id: try #require(try school.runtime.database.readNow { try $0.agreements(child: draft.childID) }.first?.id)).get()
            #expect(try await service.translateAgreements() == 1)
        }
    }

    @Test func aFailingProviderLetsTheAgreementGoInDutchWithANoteAfterAShortWait() async throws {
        let provider = FakeLibreTranslate()
        try await provider.school { school in
            let service = school.runtime.service
            let (chat, draft) = try await arabicFamily(school)
            _ = try await service.saveAgreement(draft).get()
            provider.provider.answerNext(FakeLibreTranslate.translationError, FakeLibreTranslate.translationError, FakeLibreTranslate.translationError)
            #expect(try await service.translateAgreements() == 1)
            school.clock.advance(by: 15)
            #expect(try await service.runDueJobs().done == 1)
            let written = try #require(try await chat.receive().first)
            #expect(written.text.contains(what) && written.text.hasSuffix("(تعذّرت ترجمة هذا النص الآن.)"))
            // Tried again an hour later.
            #expect(try await service.translateAgreements() == 0)
            school.clock.advance(by: 3601)
            #expect(try await service.translateAgreements() == 1)
        }
    }

    @Test func withoutAProviderNothingWaitsAndNoNoteIsAdded() async throws {
        let school = try TestSchool()
        let (chat, draft) = try await arabicFamily(school)
        _ = try await school.runtime.service.saveAgreement(draft).get()
        #expect(try await school.runtime.service.runDueJobs().done == 1)
        let written = try #require(try await chat.receive().first)
        #expect(written.text.contains(what) && !written.text.contains("ترجم"))
    }
}
