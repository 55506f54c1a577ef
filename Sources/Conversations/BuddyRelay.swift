import Foundation
import Logging
import Storage
import Translation

/// Buddies' messages when a translation provider is configured: the step only stores the message; this loop translates
/// it into the language of each of the other household's chats (outside any transaction, each within the translator's
/// deadline) and then queues it in one transaction. A translation that fails or is late goes out untranslated with a
/// short note; the original always goes with a translation.
extension ConversationService {
    /// Translates and passes on up to `limit` waiting messages; returns how many were handled.
    public func relayBuddyMessages(limit: Int = 50) async throws -> Int {
        guard let translator else { return 0 }
        let waiting = try await database.read { [self] tx in
            try tx.waitingBuddyMessages(limit: limit).map { message -> (BuddyMessageRecord, [String]) in
                guard let introduction = try tx.buddyIntroduction(id: message.introductionID),
                      let other = introduction.other(than: message.fromHouseholdID) else { return (message, []) }
                return (message, try tx.reachableContact(household: other).map { [language(of: $0)] } ?? [])
            }
        }
        guard !waiting.isEmpty else { return 0 }
        let translations = await withTaskGroup(of: (Int64, String, String?).self) { group in
            for (message, languages) in waiting {
                for language in languages {
                    group.addTask { (message.id, language, await translator.translate(message.text, from: message.language, to: language).translated) }
                }
            }
            var translations: [Int64: [String: String?]] = [:]
            for await (id, language, text) in group { translations[id, default: [:]][language] = text }
            return translations
        }
        let now = clock.now()
        let recipients = try await committer.perform { [self] tx -> [Recipient] in
            let matchmaker = BuddyMatchmaker(tx: tx, school: school, localizer: localizer, now: now)
            var recipients: [Recipient] = []
            for (message, _) in waiting {
                // Gone already (another loop), or the pairing ended meanwhile: nothing is passed on.
                guard try tx.removeBuddyMessage(id: message.id), let introduction = try tx.buddyIntroduction(id: message.introductionID),
                      introduction.state == "paired", let other = introduction.other(than: message.fromHouseholdID) else { continue }
                if let contact = try tx.reachableContact(household: other) {
                    let language = language(of: contact)
                    let translated = translations[message.id]?[language] ?? nil
                    let key = translated == nil ? "buddy.relay_untranslated" : translated == message.text ? "buddy.relay" : "buddy.relay_translated"
                    let notice = try matchmaker.relay(translated ?? message.text, original: message.text, key: key, introduction: introduction,
                                                      from: message.fromHouseholdID, to: other)
                    if let recipient = try queue(self.message(notice, language: language), to: contact, tx: tx, now: now) {
                        recipients.append(recipient)
                    }
                }
            }
            return recipients
        }
        await wakeups.signal(recipients: recipients)
        return waiting.count
    }
}
