import Foundation

public struct StaffAccountRecord: Codable, Sendable, Equatable, AutoIDRecord {
    public static let tableName = "staffAccount"
    public var id: Int64?
    public var email: String
    public var name: String
    /// office (everything), teacher (own groups), care (buddies and agreements).
    public var role: String
    public var teacherID: String?
    /// A bcrypt hash; the password itself is never stored.
    public var passwordHash: String
    public var createdAt: Date

    public init(email: String, name: String, role: String, teacherID: String?, passwordHash: String, createdAt: Date) {
        (self.email, self.name, self.role, self.teacherID, self.passwordHash, self.createdAt) = (email, name, role, teacherID, passwordHash, createdAt)
    }
}

/// Staff accounts for the staff pages, and their login sessions.
extension Transaction {
    public func staffAccount(email: String) throws -> StaffAccountRecord? {
        try record("SELECT * FROM staffAccount WHERE lower(email) = lower(?)", [email])
    }

    /// Creates the account, or sets a new password, name and role for an existing e-mail address.
    public func saveStaffAccount(_ account: StaffAccountRecord) throws -> StaffAccountRecord {
        if var existing = try staffAccount(email: account.email) {
            (existing.name, existing.role, existing.teacherID, existing.passwordHash) = (account.name, account.role, account.teacherID, account.passwordHash)
            try update(existing)
            try execute("DELETE FROM staffSession WHERE accountID = ?", [existing.id])   // a new password ends old sessions
            return existing
        }
        var record = account
        try insert(&record)
        return record
    }

    public func openStaffSession(tokenHash: String, accountID: Int64, at now: Date, until expiry: Date) throws {
        try execute("DELETE FROM staffSession WHERE expiresAt < ?", [now])
        try execute("INSERT INTO staffSession (tokenHash, accountID, createdAt, expiresAt) VALUES (?, ?, ?, ?)", [tokenHash, accountID, now, expiry])
    }

    /// The account of a session that has not expired.
    public func staffAccount(sessionTokenHash hash: String, at now: Date) throws -> StaffAccountRecord? {
        try record("""
            SELECT staffAccount.* FROM staffSession JOIN staffAccount ON staffAccount.id = staffSession.accountID
            WHERE staffSession.tokenHash = ? AND staffSession.expiresAt > ?
            """, [hash, now], as: StaffAccountRecord.self)
    }

    public func closeStaffSession(tokenHash: String) throws {
        try execute("DELETE FROM staffSession WHERE tokenHash = ?", [tokenHash])
    }

    // MARK: - Audit log

    /// Records that `actor` (a staff e-mail address, "api", "cli:<user>") did `action` on `subject` (a household, a child).
    public func audit(actor: String, action: String, subject: String = "", at now: Date) throws {
        try execute("INSERT INTO auditLog (at, actor, action, subject) VALUES (?, ?, ?, ?)", [now, actor, action, subject])
    }

    /// The latest entries, newest first.
    public func auditLog(limit: Int) throws -> [(at: Date, actor: String, action: String, subject: String)] {
        try rows("SELECT at, actor, action, subject FROM auditLog ORDER BY id DESC LIMIT ?", [limit])
            .map { ($0[0], $0[1], $0[2], $0[3]) }
    }

    // MARK: - Teachers' calendar feeds

    /// The teacher's feed token, made on first use; `renew` revokes the old one (its URL stops working).
    public func calendarFeedToken(teacher: String, renew: Bool, makeToken: () -> String, at now: Date) throws -> String {
        if renew { try execute("DELETE FROM calendarFeed WHERE teacherID = ?", [teacher]) }
        if let token = try value("SELECT token FROM calendarFeed WHERE teacherID = ?", [teacher], as: String.self) { return token }
        let token = makeToken()
        try execute("INSERT INTO calendarFeed (teacherID, token, createdAt) VALUES (?, ?, ?)", [teacher, token, now])
        return token
    }

    public func teacher(calendarFeedToken token: String) throws -> String? {
        try value("SELECT teacherID FROM calendarFeed WHERE token = ?", [token], as: String.self)
    }
}
