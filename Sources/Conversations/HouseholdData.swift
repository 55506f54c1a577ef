import Foundation
import SamenspraakCore
import Storage

/// A family's rights over its data (AVG): everything stored about a household as JSON, and erasure. Both are written
/// to the audit log with who asked, in the transaction that reads or erases.
extension ConversationService {
    /// Everything stored about the household with roster key `key`, as pretty JSON; nil when there is no such household.
    public func exportHousehold(key: String, by actor: String) async throws -> Data? {
        let now = clock.now()
        guard let export = try await database.write({ tx in
            try tx.household(key: key).map { record in
                try tx.audit(actor: actor, action: "export", subject: "household \(key)", at: now)
                return try tx.export(household: record)
            }
        }) else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(export)
    }

    /// Erases the household's messages, answers, chats and guardians (its talks stay as counts); nil when there is no such household.
    public func eraseHousehold(key: String, by actor: String) async throws -> ErasureReport? {
        let now = clock.now()
        return try await database.write { tx in
            guard let record = try tx.household(key: key) else { return nil }
            try tx.audit(actor: actor, action: "erase", subject: "household \(key)", at: now)
            return try tx.erase(household: record, makeInviteCode: InviteCode.generate)
        }
    }
}
