import Foundation
import SamenspraakCore
import Storage

/// Buddies in the demo school: chats for households by the language their guardians gave, a Dutch parent who also
/// speaks Arabic offering help, and an Arabic parent asking for help with the language.
extension TestSchool {
    /// A chat in `language` for the `skip`-th household whose guardians gave `rosterLanguage` to the school.
    public func chat(rosterLanguage: String, skip: Int = 0, language: String) async throws -> (Conversation, Int64) {
        let households = try runtime.database.readNow { tx in
            try tx.households().filter { try tx.guardians(household: $0.id ?? 0).first?.language == rosterLanguage }
        }
        guard let household = households.dropFirst(skip).first else { throw TestSchoolError.noSuchHousehold }
        let chat = Conversation(self, inviteCode: household.inviteCode)
        try await chat.start(language: language)
        try await chat.press(runtime.service.localizer.languageName(language))
        return (chat, household.id ?? 0)
    }

    /// The Dutch parent offers to help with the language, in Dutch or Arabic, for one parent.
    public func offerHelp(_ chat: Conversation) async throws {
        try await chat.say("buddy")
        try await chat.press("Ik wil buddy zijn")
        try await chat.press("العربية")
        try await chat.press("Klaar")
        try await chat.press("Met de taal")
        try await chat.press("Klaar")
        try await chat.press("1 ouder")
    }

    /// The Arabic parent asks for a buddy for the language (by typing the numbers of the choices).
    public func askForHelp(_ chat: Conversation) async throws {
        try await chat.say("buddy")
        try await chat.say("1")
        try await chat.say("1")
    }

    /// A Dutch buddy and an Arabic parent who both said yes, with the introductions each received (write, share).
    public func pairedBuddies() async throws -> (dutch: Conversation, arabic: Conversation, dutchIntroduction: OutboundMessage, arabicIntroduction: OutboundMessage) {
        let (dutch, _) = try await chat(rosterLanguage: "nl", language: "nl")
        let (arabic, _) = try await chat(rosterLanguage: "ar", language: "ar")
        try await offerHelp(dutch)
        try await askForHelp(arabic)
        guard let proposal = arabic.lastMessages.last, let question = try await dutch.receive().first else { throw TestSchoolError.noSuchHousehold }
        try await dutch.press("Ja, graag", in: question)
        try await arabic.press(proposal.choices[0].label, in: proposal)
        guard let arabicIntroduction = arabic.lastMessages.first, let dutchIntroduction = try await dutch.receive().first else {
            throw TestSchoolError.noSuchHousehold
        }
        return (dutch, arabic, dutchIntroduction, arabicIntroduction)
    }
}
