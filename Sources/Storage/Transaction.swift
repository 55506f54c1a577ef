import Foundation

/// One open database transaction with the queries and writes the application needs, named by purpose.
/// It never escapes the closure it is handed to. It speaks the storage contract (`SQLConnection`), so it runs the
/// same on SQLite and on PostgreSQL.
public struct Transaction {
    let sql: any SQLConnection

    init(_ sql: any SQLConnection) { self.sql = sql }

    /// Runs `body` in a savepoint: if it throws, its writes are undone and the error returned, and the rest of the
    /// transaction goes on (one broken job must not hold back the others in its batch).
    public func isolated(_ body: () throws -> Void) throws -> (any Error)? {
        do {
            try sql.savepoint(body)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Statements

    /// Ends a query that picks rows to claim: where other daemons share the database, rows one of them is claiming are
    /// skipped, not waited for, so each row is claimed once. Empty on SQLite, whose one writer excludes the others.
    var skippingLocked: String { sql.isShared ? " FOR UPDATE SKIP LOCKED" : "" }

    /// Ends a read of a row this transaction then changes: another daemon's transaction on it is waited for, and seen.
    var lockingForUpdate: String { sql.isShared ? " FOR UPDATE" : "" }

    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    func execute(_ statement: String, _ arguments: [any SQLBindable] = []) throws -> Int {
        try sql.execute(statement, arguments.map(\.sqlValue))
    }

    func rows(_ query: String, _ arguments: [any SQLBindable] = []) throws -> [SQLRow] {
        try sql.rows(query, arguments.map(\.sqlValue))
    }

    func row(_ query: String, _ arguments: [any SQLBindable] = []) throws -> SQLRow? { try rows(query, arguments).first }

    /// The first column of the first row; nil when there is no row or the value is NULL.
    func value<T: SQLColumnValue>(_ query: String, _ arguments: [any SQLBindable] = [], as type: T.Type = T.self) throws -> T? {
        guard let row = try row(query, arguments), row.values.first != .null else { return nil }
        return row[0] as T
    }

    /// The first column of every row.
    func values<T: SQLColumnValue>(_ query: String, _ arguments: [any SQLBindable] = [], as type: T.Type = T.self) throws -> [T] {
        try rows(query, arguments).map { $0[0] }
    }

    func record<R: SQLRowDecodable>(_ query: String, _ arguments: [any SQLBindable] = [], as type: R.Type = R.self) throws -> R? {
        try row(query, arguments).map(R.init(row:))
    }

    func records<R: SQLRowDecodable>(_ query: String, _ arguments: [any SQLBindable] = [], as type: R.Type = R.self) throws -> [R] {
        try rows(query, arguments).map(R.init(row:))
    }

    /// The record with this primary key (a one-column key).
    func record<R: StoredRecord>(id: any SQLBindable, as type: R.Type = R.self) throws -> R? {
        try record("SELECT * FROM \(R.tableName) WHERE \(R.primaryKey[0]) = ?", [id])
    }

    func count(_ table: String, where condition: String = "TRUE") throws -> Int {
        try value("SELECT COUNT(*) FROM \(table) WHERE \(condition)") ?? 0
    }

    /// Inserts a record whose key is given.
    func insert<R: StoredRecord>(_ record: R) throws {
        let columns = try record.columnValues
        try execute("INSERT INTO \(R.tableName) (\(columns.map(\.column).joined(separator: ", "))) VALUES (\(placeholders(columns.count)))",
                    columns.map(\.value))
    }

    /// Inserts a record and gives it the id the database chose.
    func insert<R: AutoIDRecord>(_ record: inout R) throws {
        let columns = try record.columnValues.filter { $0.column != "id" || $0.value != .null }
        record.id = try value("""
            INSERT INTO \(R.tableName) (\(columns.map(\.column).joined(separator: ", "))) VALUES (\(placeholders(columns.count))) RETURNING id
            """, columns.map(\.value))
    }

    /// Writes every column of the row with the record's key.
    func update<R: StoredRecord>(_ record: R) throws {
        let columns = try record.columnValues
        let key = columns.filter { R.primaryKey.contains($0.column) }
        let others = columns.filter { !R.primaryKey.contains($0.column) }
        try execute("UPDATE \(R.tableName) SET \(others.map { "\($0.column) = ?" }.joined(separator: ", ")) WHERE \(key.map { "\($0.column) = ?" }.joined(separator: " AND "))",
                    others.map(\.value) + key.map(\.value))
    }

    /// Inserts the record, or writes it over the row with its key.
    func save<R: StoredRecord>(_ record: R) throws {
        let columns = try record.columnValues
        let others = columns.filter { !R.primaryKey.contains($0.column) }
        try execute("""
            INSERT INTO \(R.tableName) (\(columns.map(\.column).joined(separator: ", "))) VALUES (\(placeholders(columns.count)))
            ON CONFLICT (\(R.primaryKey.joined(separator: ", "))) DO UPDATE SET \(others.map { "\($0.column) = excluded.\($0.column)" }.joined(separator: ", "))
            """, columns.map(\.value))
    }

    func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    // MARK: - Inbox

    /// Records an inbound message once; false when this platform message id was seen before.
    /// Also true for a message stored earlier by `storeReceived` and not processed yet; it is marked processed.
    public func recordInbound(channel: String, platformMessageID: String, contactID: Int64?, text: String?, at now: Date) throws -> Bool {
        try execute("""
            INSERT INTO inbox (channel, platformMessageID, contactID, text, receivedAt, processedAt) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (channel, platformMessageID) DO UPDATE SET contactID = excluded.contactID, text = excluded.text, processedAt = excluded.processedAt
            WHERE inbox.processedAt IS NULL
            """, [channel, platformMessageID, contactID, text, now, now]) > 0
    }

    /// Stores messages as received, before they are processed, so a platform may be told they arrived
    /// (Telegram's offset) and a crash before processing loses nothing. Repeats are ignored.
    public func storeReceived(channel: String, messages: [(platformMessageID: String, payload: String)], at now: Date) throws {
        for message in messages {
            try execute("INSERT INTO inbox (channel, platformMessageID, payload, receivedAt) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [channel, message.platformMessageID, message.payload, now])
        }
    }

    /// Received but not processed (a crash came in between), oldest first.
    public func unprocessedInbox(channel: String) throws -> [(platformMessageID: String, payload: String)] {
        try rows("""
            SELECT platformMessageID, payload FROM inbox WHERE channel = ? AND processedAt IS NULL AND payload IS NOT NULL ORDER BY id
            """, [channel]).map { ($0[0], $0[1]) }
    }

    /// For received messages that need no conversation step (an edit, a group message, a stranger). Recorded even
    /// when not stored (yet): a long poll stores a batch while it is being handled, and must find these handled.
    public func markProcessed(channel: String, platformMessageID: String, at now: Date) throws {
        try execute("""
            INSERT INTO inbox (channel, platformMessageID, receivedAt, processedAt) VALUES (?, ?, ?, ?)
            ON CONFLICT (channel, platformMessageID) DO UPDATE SET processedAt = excluded.processedAt WHERE inbox.processedAt IS NULL
            """, [channel, platformMessageID, now, now])
    }

    /// Where a long-polling channel goes on after a restart (Matrix's `since` token); nil before its first batch.
    public func syncPosition(channel: String) throws -> String? {
        try value("SELECT position FROM syncPosition WHERE channel = ?", [channel], as: String.self)
    }

    /// Stores the position after a batch, in the commit that stores the batch.
    public func storeSyncPosition(channel: String, position: String, at now: Date) throws {
        try execute("""
            INSERT INTO syncPosition (channel, position, updatedAt) VALUES (?, ?, ?)
            ON CONFLICT (channel) DO UPDATE SET position = excluded.position, updatedAt = excluded.updatedAt
            """, [channel, position, now])
    }

    // MARK: - Contacts and sessions

    /// `forUpdate`: read by a conversation step, which changes it; two daemons' steps for one chat then take turns.
    public func contact(channel: String, address: String, forUpdate: Bool = false) throws -> ContactRecord? {
        try record("SELECT * FROM contact WHERE channel = ? AND address = ?\(forUpdate ? lockingForUpdate : "")", [channel, address], as: ContactRecord.self)
    }

    public func insertContact(channel: String, address: String, for invitee: Invitee, session: String, at now: Date) throws -> ContactRecord {
        var contact = ContactRecord(channel: channel, address: address, householdID: nil, language: nil, session: session, stoppedAt: nil, createdAt: now)
        contact.belong(to: invitee)
        try insert(&contact)
        return contact
    }

    public func updateContact(_ contact: ContactRecord) throws {
        try execute("""
            UPDATE contact SET householdID = ?, teacherID = ?, language = ?, session = ?, stoppedAt = ?, unreachableAt = ?, lastInboundAt = ? WHERE id = ?
            """, [contact.householdID, contact.teacherID, contact.language, contact.session, contact.stoppedAt, contact.unreachableAt,
                                    contact.lastInboundAt, contact.id])
    }

    public func contact(id: Int64) throws -> ContactRecord? {
        try record("SELECT * FROM contact WHERE id = ?", [id], as: ContactRecord.self)
    }

    public func contacts(teacher: String) throws -> [ContactRecord] {
        try records("SELECT * FROM contact WHERE teacherID = ? ORDER BY id", [teacher], as: ContactRecord.self)
    }

    // MARK: - Invite codes

    /// The household or teacher an invite code belongs to.
    public func invitee(code: String) throws -> Invitee? {
        if let household = try household(inviteCode: code), let id = household.id { return .household(id) }
        return try value("SELECT teacherID FROM staffInvite WHERE inviteCode = ?", [code], as: String.self)
            .map { .teacher($0) }
    }

    /// A code from `make` that no household or teacher has (59 random bits: a retry is theory, but cheap).
    public func unusedInviteCode(_ make: () -> String) throws -> String {
        var code = make()
        while try invitee(code: code) != nil { code = make() }
        return code
    }

    /// Each listed teacher's staff invite code, made on first use; a new code never equals a household's.
    public func staffInvites(teacherIDs: [String], makeInviteCode: () -> String, at now: Date) throws -> [String: String] {
        var codes: [String: String] = [:]
        for teacherID in teacherIDs {
            if let code = try value("SELECT inviteCode FROM staffInvite WHERE teacherID = ?", [teacherID], as: String.self) {
                codes[teacherID] = code
                continue
            }
            let code = try unusedInviteCode(makeInviteCode)
            try execute("INSERT INTO staffInvite (teacherID, inviteCode, createdAt) VALUES (?, ?, ?)", [teacherID, code, now])
            codes[teacherID] = code
        }
        return codes
    }

    /// Whether anyone of the household has a chat the school may send to (not stopped, not blocked).
    public func canReach(household: Int64) throws -> Bool { try contacts(household: household).contains(where: \.receivesMessages) }

    public func contacts(household: Int64) throws -> [ContactRecord] {
        try records("SELECT * FROM contact WHERE householdID = ? ORDER BY id", [household], as: ContactRecord.self)
    }

    /// Where the school writes to a household of its own accord (reminders, notices, check-ins): the chat it last
    /// wrote from, of those that receive messages. A family on WhatsApp and SMS gets a reminder once, where it is now;
    /// guardians sharing a household's invite code share its messages the same way.
    public func reachableContact(household: Int64) throws -> ContactRecord? {
        try contacts(household: household).filter(\.receivesMessages)
            .max { ($0.lastInboundAt ?? .distantPast, $0.id ?? 0) < ($1.lastInboundAt ?? .distantPast, $1.id ?? 0) }
    }

    // MARK: - Households and children

    public func household(inviteCode: String) throws -> HouseholdRecord? {
        try record("SELECT * FROM household WHERE inviteCode = ?", [inviteCode], as: HouseholdRecord.self)
    }

    public func household(id: Int64) throws -> HouseholdRecord? {
        try record(id: id)
    }

    public func households() throws -> [HouseholdRecord] {
        try records("SELECT * FROM household ORDER BY key")
    }

    public func guardians(household: Int64) throws -> [GuardianRecord] {
        try records("SELECT * FROM guardian WHERE householdID = ? ORDER BY id", [household])
    }

    public func children(household: Int64) throws -> [ChildRecord] {
        try records("""
            SELECT child.* FROM child JOIN childHousehold ON childHousehold.childID = child.id
            WHERE childHousehold.householdID = ? ORDER BY child.firstName, child.id
            """, [household], as: ChildRecord.self)
    }

    public func child(id: String) throws -> ChildRecord? { try record(id: id) }

    public func children(group: String) throws -> [ChildRecord] {
        try records("SELECT * FROM child WHERE groupID = ? ORDER BY firstName, id", [group])
    }

    /// Households of a child (two for separated parents).
    public func households(ofChild childID: String) throws -> [Int64] {
        try values("SELECT householdID FROM childHousehold WHERE childID = ? ORDER BY householdID", [childID])
    }

    public func householdCount() throws -> Int { try count("household") }

    /// All messages ever queued for sending, on every channel.
    public func outboxCount() throws -> Int { try count("outbox") }

    // MARK: - Slots

    /// Keeps the slot table in line with the school file: adds new talk times, re-activates returning ones and
    /// deactivates those no longer offered (booked talks keep their slot).
    public func synchroniseSlots(_ templates: [(teacherID: String, start: Date, end: Date, kind: String, place: String)]) throws {
        try execute("UPDATE slot SET active = FALSE")
        for slot in templates {
            try execute("""
                INSERT INTO slot (teacherID, startsAt, endsAt, kind, place, active) VALUES (?, ?, ?, ?, ?, TRUE)
                ON CONFLICT (teacherID, startsAt) DO UPDATE SET endsAt = excluded.endsAt, kind = excluded.kind, place = excluded.place, active = TRUE
                """, [slot.teacherID, slot.start, slot.end, slot.kind, slot.place])
        }
    }

    public func slot(id: Int64) throws -> SlotRecord? { try record(id: id) }

    /// Active, unbooked slots of these teachers starting at or after `from`, in time order.
    public func freeSlots(teacherIDs: [String], from: Date, until: Date? = nil) throws -> [SlotRecord] {
        guard !teacherIDs.isEmpty else { return [] }
        return try records("""
            SELECT slot.* \(freeSlot(teacherIDs.count)) AND slot.startsAt < ?
            ORDER BY slot.startsAt, slot.teacherID
            """, teacherIDs + [from, until ?? Date.distantFuture], as: SlotRecord.self)
    }

    /// When each of those slots starts, in time order: enough to offer days, without reading whole slots.
    public func freeSlotStarts(teacherIDs: [String], from: Date) throws -> [Date] {
        guard !teacherIDs.isEmpty else { return [] }
        return try values("SELECT slot.startsAt \(freeSlot(teacherIDs.count)) ORDER BY slot.startsAt", teacherIDs + [from], as: Date.self)
    }

    /// The free slots of `teachers` teachers (their ids the first arguments) starting at or after the next argument.
    private func freeSlot(_ teachers: Int) -> String {
        """
        FROM slot WHERE slot.teacherID IN (\(placeholders(teachers))) AND slot.active AND slot.startsAt >= ?
          AND NOT EXISTS (SELECT 1 FROM booking WHERE booking.slotID = slot.id AND booking.cancelledAt IS NULL)
        """
    }

    public func slotCount() throws -> Int { try count("slot", where: "active") }

    // MARK: - Bookings

    public enum BookOutcome: Sendable, Equatable {
        case booked(BookingRecord)
        /// Someone else took the slot first.
        case slotTaken
        /// The child (or this household's talk for the child) is already booked.
        case alreadyBooked
    }

    /// Books `slotID`; the unique indexes decide races, so of many concurrent attempts exactly one wins.
    public func book(slotID: Int64, childID: String, householdID: Int64, scope: String, icsToken: String, at now: Date) throws -> BookOutcome {
        var booking = BookingRecord(slotID: slotID, childID: childID, householdID: householdID, scope: scope, icsToken: icsToken, createdAt: now)
        do {
            // In a savepoint: PostgreSQL would otherwise abort the whole transaction at the refused insert.
            try sql.savepoint { try insert(&booking) }
        } catch SQLConstraintError.unique(_, let columns, _) {
            return columns == ["slotid"] ? .slotTaken : .alreadyBooked
        }
        try execute("INSERT INTO bookingAttendee (bookingID, householdID) VALUES (?, ?) ON CONFLICT DO NOTHING", [booking.id, householdID])
        return .booked(booking)
    }

    public func cancelBooking(id: Int64, at now: Date) throws {
        try execute("UPDATE booking SET cancelledAt = ? WHERE id = ? AND cancelledAt IS NULL", [now, id])
    }

    /// Adds a household to another household's talk (separated parents, joint talks).
    public func attend(bookingID: Int64, householdID: Int64) throws {
        try execute("INSERT INTO bookingAttendee (bookingID, householdID) VALUES (?, ?) ON CONFLICT DO NOTHING", [bookingID, householdID])
    }

    public func leave(bookingID: Int64, householdID: Int64) throws {
        try execute("DELETE FROM bookingAttendee WHERE bookingID = ? AND householdID = ?", [bookingID, householdID])
    }

    static let detailsSelect = """
        SELECT booking.id AS bookingID, booking.childID, child.firstName AS childFirstName, booking.householdID, slot.id AS slotID,
               slot.teacherID, slot.startsAt, slot.endsAt, slot.place, booking.icsToken
        FROM booking JOIN slot ON slot.id = booking.slotID JOIN child ON child.id = booking.childID
        """

    /// Active talks this household attends, in time order.
    public func activeBookings(household: Int64) throws -> [BookingDetails] {
        try records("""
            \(Self.detailsSelect)
            JOIN bookingAttendee ON bookingAttendee.bookingID = booking.id AND bookingAttendee.householdID = ?
            WHERE booking.cancelledAt IS NULL ORDER BY slot.startsAt
            """, [household], as: BookingDetails.self)
    }

    /// Active talks of a child, whoever booked them.
    public func activeBookings(child: String) throws -> [BookingDetails] {
        try records("\(Self.detailsSelect) WHERE booking.childID = ? AND booking.cancelledAt IS NULL ORDER BY slot.startsAt", [child], as: BookingDetails.self)
    }

    /// A teacher's active talks starting in [from, until), in time order: the teacher's agenda.
    public func activeBookings(teacher: String, from: Date, until: Date) throws -> [BookingDetails] {
        try records("""
            \(Self.detailsSelect)
            WHERE slot.teacherID = ? AND slot.startsAt >= ? AND slot.startsAt < ? AND booking.cancelledAt IS NULL ORDER BY slot.startsAt
            """, [teacher, from, until], as: BookingDetails.self)
    }

    public func booking(id: Int64) throws -> BookingDetails? {
        try record("\(Self.detailsSelect) WHERE booking.id = ?", [id], as: BookingDetails.self)
    }

    /// The talk with this id, unless it was cancelled.
    public func activeBooking(id: Int64) throws -> BookingDetails? {
        try record("\(Self.detailsSelect) WHERE booking.id = ? AND booking.cancelledAt IS NULL", [id], as: BookingDetails.self)
    }

    public func activeBooking(icsToken: String) throws -> BookingDetails? {
        try record("\(Self.detailsSelect) WHERE booking.icsToken = ? AND booking.cancelledAt IS NULL", [icsToken], as: BookingDetails.self)
    }

    public func attendees(booking: Int64) throws -> [Int64] {
        try values("SELECT householdID FROM bookingAttendee WHERE bookingID = ? ORDER BY householdID", [booking])
    }

    public func activeBookingCount() throws -> Int {
        try count("booking", where: "cancelledAt IS NULL")
    }

    // MARK: - Pre-talk answers

    public func saveAnswer(childID: String, householdID: Int64, question: String, answer: String?, at now: Date) throws {
        if let answer {
            try execute("""
                INSERT INTO preTalkAnswer (childID, householdID, question, answer, updatedAt) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (childID, householdID, question) DO UPDATE SET answer = excluded.answer, updatedAt = excluded.updatedAt
                """, [childID, householdID, question, answer, now])
        } else {
            try execute("DELETE FROM preTalkAnswer WHERE childID = ? AND householdID = ? AND question = ?", [childID, householdID, question])
        }
    }

    public func answers(childID: String, householdID: Int64) throws -> [String: String] {
        let rows = try rows("SELECT question, answer FROM preTalkAnswer WHERE childID = ? AND householdID = ?", [childID, householdID])
        return Dictionary(rows.map { ($0["question"] as String, $0["answer"] as String) }, uniquingKeysWith: { $1 })
    }

    // MARK: - Outbox

    /// Queues a message; `unprompted` ones (reminders, nudges) wait for the replies queued at the same time.
    public func enqueue(contactID: Int64, channel: String, address: String, payload: String, unprompted: Bool = false, at now: Date) throws -> Int64 {
        try value("""
            INSERT INTO outbox (contactID, channel, address, payload, status, createdAt, unprompted) VALUES (?, ?, ?, ?, 'pending', ?, ?)
            RETURNING id
            """, [contactID, channel, address, payload, now, unprompted])!
    }

    /// Queues a reply already claimed for sending by `instance` (its first attempt), for the caller to send at once.
    public func enqueueClaimed(contactID: Int64, channel: String, address: String, payload: String, instance: String, at now: Date) throws -> OutboxRecord {
        let id: Int64 = try value("""
            INSERT INTO outbox (contactID, channel, address, payload, status, createdAt, attempts, claimedBy) VALUES (?, ?, ?, ?, 'sending', ?, 1, ?)
            RETURNING id
            """, [contactID, channel, address, payload, now, instance])!
        return OutboxRecord(id: id, contactID: contactID, channel: channel, address: address, payload: payload, status: "sending", createdAt: now,
                            attempts: 1, claimedBy: instance)
    }

    /// Whether a message to this chat waits or is being sent: a new one must then go after it, through the queue.
    public func hasUnsentOutbox(channel: String, address: String) throws -> Bool {
        try value("SELECT 1 \(Self.unsentOutbox) LIMIT 1", [channel, address], as: Int.self) != nil
    }

    /// Whether a message went to this chat after `since` (whichever daemon sent it).
    public func hasSentOutbox(channel: String, address: String, since: Date) throws -> Bool {
        try value("SELECT 1 FROM outbox AS recent WHERE recent.channel = ? AND recent.address = ? AND \(Self.sentAfter) LIMIT 1", [channel, address, since], as: Int.self) != nil
    }

    /// `recent` (an outbox row) went out after the next argument.
    static let sentAfter = "recent.status = 'sent' AND recent.sentAt > ?"

    /// Through the partial index `outbox_unsent`, so the question costs the same however long the chat's history.
    static let unsentOutbox = "FROM outbox WHERE channel = ? AND address = ? AND status IN ('pending', 'sending')"

    /// When the unprompted messages queued for a contact since `since` were queued, oldest first (the weekly cap).
    public func unpromptedMessages(contactID: Int64, since: Date) throws -> [Date] {
        try values("""
            SELECT createdAt FROM outbox WHERE contactID = ? AND unprompted AND createdAt > ? AND status != 'failed' ORDER BY createdAt
            """, [contactID, since], as: Date.self)
    }

    /// Messages for one address after `afterID`, oldest first (the web chat's long poll reads these).
    public func outbox(channel: String, address: String, after afterID: Int64, limit: Int = 100) throws -> [OutboxRecord] {
        try records("SELECT * FROM outbox WHERE channel = ? AND address = ? AND id > ? ORDER BY id LIMIT ?", [channel, address, afterID, limit], as: OutboxRecord.self)
    }

    /// The newest message sent to one address: what a person who answers by typing a number saw last (SMS).
    public func lastSentOutbox(channel: String, address: String) throws -> OutboxRecord? {
        try record("SELECT * FROM outbox WHERE channel = ? AND address = ? AND status = 'sent' ORDER BY id DESC LIMIT 1", [channel, address], as: OutboxRecord.self)
    }

    // MARK: - Scheduled jobs

    /// Makes `pending` (what is planned now for one subject) match `wanted`: a wanted job is planned (written only when
    /// it is new or its moment, expiry or reference changed), and a pending one no longer wanted is removed unless
    /// `keep` says it should still run. Returns how many unwanted ones were kept.
    @discardableResult
    public func reconcile(pending: [JobRecord], wanted: [PlannedJob], keep: (JobRecord) -> Bool = { _ in false }) throws -> Int {
        let planned = Dictionary(pending.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let keys = Set(wanted.map(\.key))
        var kept = 0
        for job in pending where !keys.contains(job.key) {
            if keep(job) { kept += 1 } else { try unplan(jobID: job.id) }
        }
        for job in wanted {
            if let current = planned[job.key], current.dueAt == job.dueAt, current.expiresAt == job.expiresAt, current.reference == job.reference { continue }
            try plan(job)
        }
        return kept
    }

    /// Creates the job, or moves a pending one with the same key to the new moment; a finished one stays finished.
    public func plan(_ job: PlannedJob) throws {
        try execute("""
            INSERT INTO job (key, kind, householdID, reference, dueAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET dueAt = excluded.dueAt, expiresAt = excluded.expiresAt, reference = excluded.reference
            WHERE job.status = 'pending'
            """, [job.key, job.kind, job.householdID, job.reference, job.dueAt, job.expiresAt])
    }

    /// A household's pending jobs of `kind`.
    public func pendingJobs(household: Int64, kind: String) throws -> [JobRecord] {
        try records("SELECT * FROM job WHERE householdID = ? AND kind = ? AND status = 'pending'", [household, kind], as: JobRecord.self)
    }

    /// Pending jobs of `kind` for no household in particular (school-wide ones).
    public func pendingSchoolJobs(kind: String) throws -> [JobRecord] {
        try records("SELECT * FROM job WHERE householdID IS NULL AND kind = ? AND status = 'pending'", [kind], as: JobRecord.self)
    }

    /// Removes a pending job that is no longer wanted (its talk was cancelled or moved).
    public func unplan(jobID: Int64) throws {
        try execute("DELETE FROM job WHERE id = ? AND status = 'pending'", [jobID])
    }

    /// Pending jobs due at `now`, earliest first, for running in this transaction: those another daemon is running are
    /// left to it.
    public func dueJobs(now: Date, limit: Int) throws -> [JobRecord] {
        try records("SELECT * FROM job WHERE status = 'pending' AND dueAt <= ? ORDER BY dueAt, id LIMIT ?\(skippingLocked)", [now, limit], as: JobRecord.self)
    }

    /// When the next pending job is due (read from the index, whatever the table's size).
    public func nextJobDue() throws -> Date? {
        try value("SELECT MIN(dueAt) FROM job WHERE status = 'pending'", [], as: Date.self)
    }

    /// Records that a job ran (`done`) or was not worth running any more (`skipped`), with why.
    public func finishJob(id: Int64, status: String, note: String?, at now: Date) throws {
        try execute("UPDATE job SET status = ?, note = ?, finishedAt = ? WHERE id = ? AND status = 'pending'", [status, note, now, id])
    }

    /// Postpones a pending job (quiet hours, the weekly cap), saying why.
    public func postponeJob(id: Int64, to moment: Date, note: String) throws {
        try execute("UPDATE job SET dueAt = ?, note = ? WHERE id = ? AND status = 'pending'", [moment, note, id])
    }

    /// Jobs for staff to look at: the next pending ones and the latest finished ones.
    public func jobs(status: String, limit: Int) throws -> [JobRecord] {
        let order = status == "pending" ? "dueAt" : "finishedAt DESC"
        return try records("SELECT * FROM job WHERE status = ? ORDER BY \(order) LIMIT ?", [status, limit], as: JobRecord.self)
    }

    public func jobCount(status: String, kind: String? = nil, reference: String? = nil) throws -> Int {
        // Only the conditions given: PostgreSQL cannot tell the type of an argument that is only tested for NULL.
        var condition = "status = ?"
        var arguments: [any SQLBindable] = [status]
        if let kind { (condition, arguments) = (condition + " AND kind = ?", arguments + [kind]) }
        if let reference { (condition, arguments) = (condition + " AND reference = ?", arguments + [reference]) }
        return try value("SELECT COUNT(*) FROM job WHERE \(condition)", arguments) ?? 0
    }

    // MARK: - Delivery to platforms

    /// Messages of `channel` that are due for sending, oldest first; a message waiting for a retry (or being
    /// sent) holds back the later ones to the same address, so a parent never reads them out of order. `lane`: only
    /// the messages to contacts whose id leaves `index` when divided by `of` (one of a sender's lanes). `sentSince`:
    /// not to an address that got a message after that moment, whichever daemon sent it (daemons sharing a database
    /// keep the interval between a chat's messages together).
    public func dueOutbox(channel: String, now: Date, limit: Int, lane: (index: Int, of: Int) = (0, 1), sentSince: Date? = nil) throws -> [OutboxRecord] {
        let recentlySent = sentSince == nil ? "" : """

              AND NOT EXISTS (SELECT 1 FROM outbox AS recent WHERE recent.channel = outbox.channel AND recent.address = outbox.address
                              AND \(Self.sentAfter))
            """
        return try records("""
            SELECT * FROM outbox WHERE status = 'pending' AND channel = ? AND (nextAttemptAt IS NULL OR nextAttemptAt <= ?)
              AND contactID % ? = ?
              AND NOT EXISTS (SELECT 1 FROM outbox AS earlier WHERE earlier.channel = outbox.channel AND earlier.address = outbox.address
                              AND earlier.id < outbox.id
                              AND (earlier.status = 'sending' OR (earlier.status = 'pending' AND earlier.nextAttemptAt > ?)))\(recentlySent)
            ORDER BY unprompted, id LIMIT ?
            """, [channel, now, lane.of, lane.index, now] + (sentSince.map { [$0] } ?? []) + [limit], as: OutboxRecord.self)
    }

    /// The instances that hold rows of `channel` claimed for sending ("" for rows claimed before instances had names).
    public func sendingClaimers(channel: String) throws -> [String] {
        try values("SELECT DISTINCT COALESCE(claimedBy, '') FROM outbox WHERE channel = ? AND status = 'sending'", [channel], as: String.self)
    }

    /// Rows a crashed sender (`claimer`) had claimed: whether they arrived is unknown, so they are failed, not sent again.
    public func failInterruptedSends(channel: String, claimer: String) throws -> Int {
        try execute("""
            UPDATE outbox SET status = 'failed', lastError = 'interrupted while sending: may not have arrived'
            WHERE channel = ? AND status = 'sending' AND COALESCE(claimedBy, '') = ?
            """, [channel, claimer])
    }

    /// For a platform that takes a message at most once however often it is sent (Matrix's transaction ids): rows a crash
    /// interrupted while sending go out again, with the same id.
    public func requeueInterruptedSends(channel: String, claimer: String) throws -> Int {
        try execute("""
            UPDATE outbox SET status = 'pending', nextAttemptAt = NULL, lastError = 'interrupted while sending: sent again'
            WHERE channel = ? AND status = 'sending' AND COALESCE(claimedBy, '') = ?
            """, [channel, claimer])
    }

    /// Takes pending messages for sending as `instance`; returns the ids it got. One another daemon is claiming at the
    /// same moment is skipped, and one already taken is not pending any more: each is claimed once.
    public func claimOutbox(ids: [Int64], instance: String) throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        return Set(try values("""
            UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimedBy = ?
            WHERE id IN (SELECT id FROM outbox WHERE id IN (\(placeholders(ids.count))) AND status = 'pending'\(skippingLocked))
            RETURNING id
            """, [instance] + ids, as: Int64.self))
    }

    /// `template`: the template it went as (WhatsApp outside the 24-hour window).
    /// Reports the platform sent on this id before it was recorded are applied now (unless `reportsMayWait` is false: a
    /// platform without delivery callbacks, which has none waiting).
    public func markOutboxSent(id: Int64, platformMessageID: String?, template: String? = nil, reportsMayWait: Bool = true, at now: Date) throws {
        try execute("""
            UPDATE outbox SET status = 'sent', sentAt = ?, platformMessageID = ?, lastError = NULL, sentAsTemplate = ?, templateRequired = FALSE WHERE id = ?
            """, [now, platformMessageID, template, id])
        guard reportsMayWait, let platformMessageID else { return }
        let early = try rows("""
            DELETE FROM earlyDeliveryReport WHERE platformMessageID = ? AND channel = (SELECT channel FROM outbox WHERE id = ?) RETURNING channel, kind, detail
            """, [platformMessageID, id])
        for row in early {
            let detail: String = row[2]
            let report: DeliveryReport = switch row[1] as String {
            case "failed": .failed(detail)
            case "needsTemplate": .needsTemplate(detail)
            default: .receipt(detail)
            }
            try recordDeliveryReport(channel: row[0], platformMessageID: platformMessageID, report, at: now)
        }
    }

    /// A sent message's fate as its platform reports it later (WhatsApp's status callbacks), found by the platform's id.
    public enum DeliveryReport: Sendable, Equatable {
        /// "sent", "delivered" or "read": only ever moves forward (callbacks may come out of order).
        case receipt(String)
        /// It did not arrive: the row fails with the reason, which staff see.
        case failed(String)
        /// It may only go as a template: the row is queued again to be sent as one.
        case needsTemplate(String)
    }

    /// Applies a platform's report to the row it sent as `platformMessageID`; false when no sent row has that id.
    @discardableResult
    public func recordDeliveryReport(channel: String, platformMessageID: String, _ report: DeliveryReport, at now: Date) throws -> Bool {
        let changed: Int
        switch report {
        case .receipt(let receipt):
            let rank = Self.receiptRank(receipt)
            let changed = try execute("""
                UPDATE outbox SET receipt = ?, receiptAt = ?
                WHERE channel = ? AND platformMessageID = ? AND status = 'sent'
                  AND (CASE receipt WHEN 'read' THEN 3 WHEN 'delivered' THEN 2 WHEN 'sent' THEN 1 ELSE 0 END) < ?
                """, [receipt, now, channel, platformMessageID, rank])
            if changed > 0 { return true }
            if try value("SELECT 1 FROM outbox WHERE channel = ? AND platformMessageID = ?", [channel, platformMessageID], as: Bool.self) ?? false { return true }
            try keepEarly(channel: channel, platformMessageID: platformMessageID, report, at: now)
            return false
        case .failed(let reason):
            changed = try execute("UPDATE outbox SET status = 'failed', lastError = ? WHERE channel = ? AND platformMessageID = ? AND status = 'sent'",
                                  [reason, channel, platformMessageID])
        case .needsTemplate(let reason):
            changed = try execute("""
                UPDATE outbox SET status = 'pending', templateRequired = TRUE, nextAttemptAt = NULL, lastError = ?
                WHERE channel = ? AND platformMessageID = ? AND status = 'sent' AND sentAsTemplate IS NULL
                """, [reason, channel, platformMessageID])
        }
        if changed > 0 { return true }
        try keepEarly(channel: channel, platformMessageID: platformMessageID, report, at: now)
        return false
    }

    /// A report on an id no row has yet: the sender may not have recorded the id the platform just gave it (the
    /// report overtook the send's answer), so it is kept until `markOutboxSent` records it. Reports on messages that
    /// are not ours go with the old messages (`purgeMessages`).
    func keepEarly(channel: String, platformMessageID: String, _ report: DeliveryReport, at now: Date) throws {
        let exists = try value("SELECT 1 FROM outbox WHERE channel = ? AND platformMessageID = ?", [channel, platformMessageID], as: Bool.self) ?? false
        guard !exists else { return }
        let (kind, detail) = switch report {
        case .receipt(let receipt): ("receipt", receipt)
        case .failed(let reason): ("failed", reason)
        case .needsTemplate(let reason): ("needsTemplate", reason)
        }
        try execute("""
            INSERT INTO earlyDeliveryReport (channel, platformMessageID, kind, detail, receivedAt) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """, [channel, platformMessageID, kind, detail, now])
    }

    static func receiptRank(_ receipt: String) -> Int {
        switch receipt {
        case "read": 3
        case "delivered": 2
        case "sent": 1
        default: 0
        }
    }

    /// Puts a claimed message back, to be tried again at `next`.
    public func retryOutbox(id: Int64, at next: Date, error: String) throws {
        try execute("UPDATE outbox SET status = 'pending', nextAttemptAt = ?, lastError = ? WHERE id = ? AND status = 'sending'", [next, error, id])
    }

    /// Gives a message up; staff see it with its reason.
    public func failOutbox(id: Int64, error: String) throws {
        try execute("UPDATE outbox SET status = 'failed', lastError = ? WHERE id = ?", [error, id])
    }

    /// The person blocked us: remember it and give up what was still waiting for them.
    public func markUnreachable(channel: String, address: String, at now: Date) throws {
        try execute("UPDATE contact SET unreachableAt = ? WHERE channel = ? AND address = ? AND unreachableAt IS NULL", [now, channel, address])
        try execute("""
            UPDATE outbox SET status = 'failed', lastError = 'unreachable: the person blocked the bot'
            WHERE channel = ? AND address = ? AND status IN ('pending', 'sending')
            """, [channel, address])
    }

    /// What staff need to follow up: messages given up on, newest first, with the household they were for.
    public func failedDeliveries(limit: Int = 500) throws -> [(household: String, channel: String, createdAt: Date, attempts: Int, reason: String)] {
        try rows("""
            SELECT COALESCE(household.key, 'teacher ' || contact.teacherID), outbox.channel, outbox.createdAt, outbox.attempts, outbox.lastError
            FROM outbox JOIN contact ON contact.id = outbox.contactID LEFT JOIN household ON household.id = contact.householdID
            WHERE outbox.status = 'failed' ORDER BY outbox.id DESC LIMIT ?
            """, [limit]).map { ($0[0], $0[1], $0[2], $0[3], $0[4] ?? "") }
    }

    /// Web chat replies no browser fetched within the week (expired), per household: how many and the latest, so the
    /// school can reach those parents another way.
    public func unreadWebChatReplies() throws -> [(household: String, count: Int, latest: Date)] {
        try rows("""
            SELECT COALESCE(household.key, 'teacher ' || contact.teacherID) AS who, COUNT(*), MAX(outbox.createdAt)
            FROM outbox JOIN contact ON contact.id = outbox.contactID LEFT JOIN household ON household.id = contact.householdID
            WHERE outbox.status = 'expired' GROUP BY who ORDER BY MAX(outbox.createdAt) DESC
            """).map { ($0[0], $0[1], $0[2]) }
    }

    /// Contacts who blocked us, per household, so the school can reach those parents another way.
    public func unreachableContacts() throws -> [(household: String, channel: String, since: Date)] {
        try rows("""
            SELECT COALESCE(household.key, 'teacher ' || contact.teacherID) AS who, contact.channel, contact.unreachableAt
            FROM contact LEFT JOIN household ON household.id = contact.householdID
            WHERE contact.unreachableAt IS NOT NULL ORDER BY who
            """).map { ($0[0], $0[1], $0[2]) }
    }

    public func markReachable(channel: String, address: String) throws {
        try execute("UPDATE contact SET unreachableAt = NULL WHERE channel = ? AND address = ?", [channel, address])
    }

    /// Marks rows as delivered: the web chat's when its browser fetched them (also an expired one: it did arrive after all).
    public func markSent(outboxIDs: [Int64], at now: Date) throws {
        guard !outboxIDs.isEmpty else { return }
        try execute("UPDATE outbox SET status = 'sent', sentAt = ?, lastError = NULL WHERE status IN ('pending', 'expired') AND id IN (\(placeholders(outboxIDs.count)))",
                    [now] + outboxIDs)
    }

    // MARK: - Roster import

    /// Inserts a household with a fresh invite code; `key` is the administration's household key.
    public func upsertHousehold(key: String, makeInviteCode: () -> String, at now: Date) throws -> HouseholdRecord {
        if let existing = try household(key: key) { return existing }
        var household = HouseholdRecord(key: key, inviteCode: try unusedInviteCode(makeInviteCode), createdAt: now)
        try insert(&household)
        return household
    }

    public func replaceGuardians(household: Int64, with guardians: [(name: String, phone: String, language: String)]) throws {
        try execute("DELETE FROM guardian WHERE householdID = ?", [household])
        for guardian in guardians {
            var record = GuardianRecord(householdID: household, name: guardian.name, phone: guardian.phone, language: guardian.language)
            try insert(&record)
        }
    }

    public func upsertChild(_ child: ChildRecord) throws { try save(child) }

    public func linkChild(_ childID: String, household: Int64) throws {
        try execute("INSERT INTO childHousehold (childID, householdID) VALUES (?, ?) ON CONFLICT DO NOTHING", [childID, household])
    }
}

extension Transaction {
    public func bookingRecord(id: Int64) throws -> BookingRecord? { try record(id: id) }

    /// Moves a talk to another slot: the old one is cancelled and a new booking (same child, booker, scope and attendees)
    /// takes `slotID`; if that slot was just taken the old talk is restored, so a failed move changes nothing.
    public func moveBooking(id: Int64, toSlot slotID: Int64, icsToken: String, at now: Date) throws -> BookOutcome {
        guard let old = try bookingRecord(id: id) else { return .alreadyBooked }
        let attendees = try attendees(booking: id)
        try cancelBooking(id: id, at: now)
        let outcome = try book(slotID: slotID, childID: old.childID, householdID: old.householdID, scope: old.scope, icsToken: icsToken, at: now)
        if case .booked(let booking) = outcome {
            for attendee in attendees { try attend(bookingID: booking.id ?? 0, householdID: attendee) }
        } else {
            try execute("UPDATE booking SET cancelledAt = NULL WHERE id = ?", [id])
        }
        return outcome
    }
}
