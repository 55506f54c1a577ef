import Foundation
import Logging
import Storage
import Translation

/// What teachers write in agreements, translated for the parents when a provider is configured: outside any
/// transaction, into each language the child's households' chats read, kept with the agreement. The jobs that send an
/// agreement to parents wait a little for it (`AgreementText.waitsForTranslation`), then go with or without.
extension ConversationService {
    /// How long a failed translation is left before it is tried again.
    static let retryFailedTranslationAfter: TimeInterval = 3600

    /// Translates up to `limit` agreements into a language they still lack; returns how many were done.
    public func translateAgreements(limit: Int = 20) async throws -> Int {
        guard let translator else { return 0 }
        let now = clock.now()
        let source = localizer.baseLanguage
        let waiting = try await database.read { tx in
            try tx.agreementsToTranslate(from: source, retryFailedBefore: now - Self.retryFailedTranslationAfter, limit: limit)
        }
        guard !waiting.isEmpty else { return 0 }
        let translations = await withTaskGroup(of: AgreementTranslationRecord?.self) { group in
            for (agreement, language) in waiting {
                guard let id = agreement.id else { continue }
                group.addTask {
                    let what = await translator.translate(agreement.what, from: source, to: language)
                    let why = await translator.translate(agreement.why, from: source, to: language)
                    let question = await agreement.checkIn.asyncMap { await translator.translate($0, from: source, to: language) }
                    let failed = what.translated == nil || why.translated == nil || (question != nil && question?.translated == nil)
                    return AgreementTranslationRecord(agreementID: id, language: language, what: failed ? nil : what.translated,
                                                      why: failed ? nil : why.translated, question: failed ? nil : question?.translated,
                                                      failed: failed, createdAt: now)
                }
            }
            var done: [AgreementTranslationRecord] = []
            for await translation in group { if let translation { done.append(translation) } }
            return done
        }
        try await committer.perform { tx in
            // An agreement changed or cancelled meanwhile is translated again at the next round, or not at all.
            for translation in translations {
                guard let agreement = try tx.agreement(id: translation.agreementID), agreement.cancelledAt == nil,
                      waiting.contains(where: { $0.agreement.id == agreement.id && $0.agreement.updatedAt == agreement.updatedAt }) else { continue }
                try tx.saveAgreementTranslation(translation)
            }
        }
        return waiting.count
    }

    /// The translation loop, when a provider is configured: at start (what was left before a restart) and whenever a
    /// step queued a buddy's message or an agreement was saved.
    public func runTranslations(logger: Logger) async {
        while !Task.isCancelled {
            let seen = await wakeups.version(Wakeups.translationsKey)
            do {
                let relayed = try await relayBuddyMessages()
                let translated = try await translateAgreements()
                if relayed + translated > 0 { continue }
            } catch {
                if Task.isCancelled { return }
                logger.error("translating free text failed", metadata: ["error": "\(error)"])
            }
            await wakeups.wait(Wakeups.translationsKey, after: seen, timeout: .seconds(60))
        }
    }
}

extension Optional where Wrapped: Sendable {
    func asyncMap<T>(_ transform: (Wrapped) async -> T) async -> T? {
        guard let self else { return nil }
        return await transform(self)
    }
}
