import Foundation

/// A teacher's words in an agreement, translated into one language (nil texts: translating failed).
public struct AgreementTranslationRecord: Sendable, Equatable, Codable, StoredRecord {
    public static let tableName = "agreementTranslation"
    public static let primaryKey = ["agreementID", "language"]
    public var agreementID: Int64
    public var language: String
    public var what: String?
    public var why: String?
    public var question: String?
    public var failed: Bool
    public var createdAt: Date

    public init(agreementID: Int64, language: String, what: String?, why: String?, question: String?, failed: Bool, createdAt: Date) {
        (self.agreementID, self.language, self.what, self.why, self.question, self.failed, self.createdAt) =
            (agreementID, language, what, why, question, failed, createdAt)
    }
}

/// Translations of what teachers wrote, kept with the agreement (and gone with it).
extension Transaction {
    public func agreementTranslation(agreementID: Int64, language: String) throws -> AgreementTranslationRecord? {
        try record("SELECT * FROM agreementTranslation WHERE agreementID = ? AND language = ?", [agreementID, language])
    }

    public func saveAgreementTranslation(_ translation: AgreementTranslationRecord) throws { try save(translation) }

    /// A changed agreement is translated afresh.
    public func forgetTranslations(agreementID: Int64) throws {
        try execute("DELETE FROM agreementTranslation WHERE agreementID = ?", [agreementID])
    }

    /// Agreements still in force and a language one of the child's chats reads (other than `source`) without a
    /// translation, or whose translation failed before `retryFailedBefore`.
    public func agreementsToTranslate(from source: String, retryFailedBefore: Date, limit: Int) throws -> [(agreement: AgreementRecord, language: String)] {
        try rows("""
            SELECT DISTINCT agreement.id, contact.language FROM agreement
            JOIN childHousehold ON childHousehold.childID = agreement.childID
            JOIN contact ON contact.householdID = childHousehold.householdID AND contact.language IS NOT NULL AND contact.language <> ?
            LEFT JOIN agreementTranslation AS done ON done.agreementID = agreement.id AND done.language = contact.language
            WHERE agreement.cancelledAt IS NULL AND (done.agreementID IS NULL OR (done.failed AND done.createdAt < ?))
            ORDER BY agreement.id LIMIT ?
            """, [source, retryFailedBefore, limit]).compactMap { row in
            try agreement(id: row[0]).map { ($0, row[1]) }
        }
    }
}
