import Dialogue
import Foundation
import Localization
import Logging
import Monitoring
import SamenspraakCore
import Storage
import Translation

/// The path of one inbound message: inbox (once) → contact → dialogue step → replies in the outbox,
/// all in one transaction that is durable before anything is returned (and so before any reply leaves).
public final class ConversationService: Sendable {
    public let database: AppDatabase
    /// Runs the parents' flows (`conversations/`); `staffEngine` the teachers' (`conversations/staff/`).
    public let engine: DialogueEngine
    public let staffEngine: DialogueEngine
    public let localizer: Localizer
    public let school: School
    public let clock: any Clock
    let publicURL: String
    let committer: GroupCommitter
    let logger: Logger
    /// Signalled after every commit that queued messages, for the recipients and their channel.
    public let wakeups: Wakeups
    /// Messages in and the time of each step; the channels add what they send.
    public let monitoring: Monitoring
    let dayKeys: DayKeys
    let sessions = SessionCache()
    /// Translates what one buddy writes to the other, outside the step (`relayBuddyMessages`); nil: passed on as written.
    public let translator: Translator?

    public init(database: AppDatabase, flows: FlowSet, staffFlows: FlowSet, localizer: Localizer, school: School, clock: any Clock,
                publicURL: String, logger: Logger, monitoring: Monitoring = Monitoring(), translator: Translator? = nil) {
        self.database = database
        self.wakeups = Wakeups(broadcasts: database.broadcasts)
        self.engine = DialogueEngine(flows: flows, renderer: localizer)
        self.staffEngine = DialogueEngine(flows: staffFlows, renderer: localizer)
        self.localizer = localizer
        self.school = school
        self.clock = clock
        self.publicURL = publicURL
        self.committer = GroupCommitter(database: database)
        self.dayKeys = DayKeys(calendar: school.calendar)
        self.logger = logger
        self.monitoring = monitoring
        self.translator = translator
    }

    /// Wakes whoever waits here for what the other daemons on the database committed (a parent's message handled by
    /// one, the browser's long poll waiting on another), until cancelled; returns at once on SQLite.
    public func hearOtherDaemons() async {
        await database.broadcasts.listen { [wakeups] keys in await wakeups.wakeHere(keys) }
    }

    /// Someone a message was queued for.
    public struct Recipient: Sendable, Hashable {
        public let channel: ChannelKind
        public let address: String
    }

    public enum Outcome: Sendable, Equatable {
        /// The step ran; these outbox rows hold the replies, and `notified` got a notice about a shared talk;
        /// `plannedJobs` when it planned a reminder (the scheduler may have to wake sooner) or queued a buddy's message for
        /// translation (the relay loop may have work).
        /// `claimed`: the replies among them the step claimed for its caller to send (`ClaimedReplies`).
        case handled(contactID: Int64, outboxIDs: [Int64], notified: [Recipient], plannedJobs: Bool = false, claimed: [ClaimedReply] = [])
        /// The same platform message was handled before; nothing was done again.
        case duplicate
        /// The sender is not bound to a household or teacher and gave no valid invite code.
        case unknownSender
    }

    /// Which of a step's replies to its sender the step claims for sending in its own commit, for its caller to send at
    /// once (`OutboxSender.sendReplies`) instead of leaving them to the channel's sender: none, all, or the first (a
    /// chat gets one message per interval). `unlessSentWithin`: where daemons share the database, another one's last
    /// message to the chat is known only from its row, so none if a row says it went out less than that ago.
    public enum ClaimedReplies: Sendable, Equatable { case none, all, first(unlessSentWithin: Duration?) }

    /// A reply the step claimed, with its message: sent at once, it is not read back from the row.
    public struct ClaimedReply: Sendable, Equatable {
        public let row: OutboxRecord
        public let message: OutboundMessage
    }

    /// Handles one inbound event. `inviteCode` binds a new sender to a household or, with a staff invite, to a teacher
    /// (web chat link, Telegram deep link). `logger` is the request's (with its id), when there is one.
    /// `answeredByPlatform`: the platform itself confirms this message to the person (an SMS provider's reply to STOP or
    /// START), so the step runs and is recorded but its replies to the sender are not queued.
    public func handle(_ event: InboundEvent, inviteCode: String? = nil, answeredByPlatform: Bool = false, claiming: ClaimedReplies = .none,
                       logger: Logger? = nil) async throws -> Outcome {
        try await perform(event, inviteCode: inviteCode, isStart: false, quiet: answeredByPlatform, claiming: claiming, logger: logger ?? self.logger)
    }

    /// Starts the conversation for a newly opened chat, as if the person said hello.
    public func start(channel: ChannelKind, address: String, platformMessageID: String, inviteCode: String, languageHint: String?,
                      claiming: ClaimedReplies = .none, logger: Logger? = nil) async throws -> Outcome {
        let event = InboundEvent(channel: channel, address: address, platformMessageID: platformMessageID, content: .text(""), languageHint: languageHint)
        return try await perform(event, inviteCode: inviteCode, isStart: true, quiet: false, claiming: claiming, logger: logger ?? self.logger)
    }

    /// Runs one step in the next group commit, counting the message and timing the step until its replies are durable.
    func perform(_ event: InboundEvent, inviteCode: String?, isStart: Bool, quiet: Bool, claiming: ClaimedReplies, logger: Logger) async throws -> Outcome {
        monitoring.received(on: event.channel)
        let started = ContinuousClock.now
        let now = clock.now()
        let once: @Sendable (Transaction) throws -> Outcome = { [self] tx in
            try step(event, inviteCode: inviteCode, now: now, tx: tx, logger: logger, isStart: isStart, quiet: quiet, claiming: claiming)
        }
        let outcome: Outcome
        do {
            outcome = try await committer.perform(once)
        } catch SQLConstraintError.unique(table: "contact"?, _, _) {
            // Another daemon on the same database bound this new chat at the same moment and committed first (the chat
            // was opened twice at once, or an update was delivered to both): it is bound now, so once more.
            outcome = try await committer.perform(once)
        }
        await announce(outcome, to: event)
        let took = ContinuousClock.now - started
        monitoring.stepTook(took)
        if case .handled(let contactID, let outboxIDs, _, _, _) = outcome {
            logger.debug("conversation step", metadata: ["conversation": "\(contactID)", "channel": "\(event.channel.rawValue)",
                                                         "replies": "\(outboxIDs.count)", "ms": "\(took.inMilliseconds)"])
        }
        return outcome
    }

    /// Runs `unit` in the next group commit, with the conversation steps waiting then, and returns once it is
    /// durable: for the small writes that come with every message (storing a batch of updates, claiming and recording
    /// sends), which would otherwise each wait in line for the one writer and cost a commit of their own.
    public func commit<T: Sendable>(_ unit: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await committer.perform(unit)
    }

    /// Wakes the waiters of everyone this step queued messages for (now durable).
    func announce(_ outcome: Outcome, to event: InboundEvent) async {
        guard case .handled(_, let outboxIDs, let notified, let plannedJobs, let claimed) = outcome else { return }
        // Claimed replies are on their way already; only what is left waits for the channel's sender.
        let recipients = (outboxIDs.count > claimed.count ? [Recipient(channel: event.channel, address: event.address)] : []) + notified
        await wakeups.signal(recipients: recipients)
        if plannedJobs {
            await wakeups.signal(Wakeups.jobsKey)
            await wakeups.signal(Wakeups.translationsKey)
        }
    }

    func step(_ event: InboundEvent, inviteCode: String?, now: Date, tx: Transaction, logger: Logger, isStart: Bool = false,
              quiet: Bool = false, claiming: ClaimedReplies = .none) throws -> Outcome {
        var contact = try tx.contact(channel: event.channel.rawValue, address: event.address, forUpdate: true)
        var isNew = false
        if let code = inviteCode.flatMap(InviteCode.normalise) {
            guard let invitee = try tx.invitee(code: code), isKnown(invitee) else { return .unknownSender }
            if contact?.invitee != invitee {
                // A new sender, or one that opened another household's (or a teacher's) link: start fresh for it.
                contact = try bindContact(existing: contact, channel: event.channel, address: event.address, to: invitee, tx: tx, now: now)
                isNew = true
            }
        }
        guard var contact, let contactID = contact.id, let invitee = contact.invitee, isKnown(invitee) else { return .unknownSender }

        let text: String? = if case .text(let text) = event.content { text } else { nil }
        guard try tx.recordInbound(channel: event.channel.rawValue, platformMessageID: event.platformMessageID, contactID: contactID,
                                   text: text, at: now) else { return .duplicate }

        let wasUnreachable = contact.unreachableAt != nil
        contact.unreachableAt = nil  // whoever writes to us can be reached again
        contact.lastInboundAt = now  // and may be written to freely for a while (WhatsApp's 24-hour window)
        var session = sessions.session(of: contactID, stored: contact.session) ?? Session()
        // Teachers read Dutch unless they choose otherwise; parents first get what their platform suggests.
        let defaultLanguage = contact.language ?? (contact.teacherID == nil ? localizer.supported(event.languageHint) : localizer.baseLanguage)
        var replies: [OutboundMessage]
        var changedHouseholds: Set<Int64> = isNew || wasUnreachable ? Set([contact.householdID].compactMap { $0 }) : []
        var reachabilityChanged = isNew || wasUnreachable
        var plannedJobs = false
        var notices: [Notice] = []
        if let text, text.count > maximumInboundTextLength {
            replies = [reply("common.too_long", ["count": .number(maximumInboundTextLength)], language: session.language ?? defaultLanguage)]
        } else if event.content == .unsupported {
            replies = [reply("common.text_only", language: session.language ?? defaultLanguage)]
        } else {
            let input: DialogueInput = if isNew || isStart { .start } else {
                switch event.content {
                case .text(let text): .text(text)
                case .choice(let id): .choice(id)
                case .unsupported: .text("")  // answered above
                }
            }
            if input == .start { session.vars["school"] = .text(school.name) }
            switch invitee {
            case .household(let household):
                var host = SchoolHost(tx: tx, school: school, localizer: localizer, now: now, publicURL: publicURL, dayKeys: dayKeys,
                                      household: household, contact: contact, translatesBuddyMessages: translator != nil)
                replies = try converse(input, engine: engine, session: &session, host: &host, defaultLanguage: defaultLanguage,
                                       conversation: contactID, logger: logger)
                contact = host.contact
                changedHouseholds.formUnion(host.changedHouseholds)
                reachabilityChanged = reachabilityChanged || host.reachabilityChanged
                notices = host.notices
                plannedJobs = host.plannedJobs
            case .teacher(let teacherID):
                var host = StaffHost(tx: tx, school: school, localizer: localizer, now: now, teacher: school.teacher(teacherID)!, contact: contact)
                replies = try converse(input, engine: staffEngine, session: &session, host: &host, defaultLanguage: defaultLanguage,
                                       conversation: contactID, logger: logger)
                contact = host.contact
                plannedJobs = host.plannedJobs
                notices = host.notices
            }
        }
        contact.session = sessions.store(session, of: contactID)
        try tx.updateContact(contact)
        // A newly bound chat makes its household reachable, so its talks get their reminders.
        for household in changedHouseholds.sorted() {
            plannedJobs = try Reminders.replan(household: household, school: school, tx: tx, now: now,
                                               reachabilityChanged: reachabilityChanged && household == contact.householdID) || plannedJobs
        }
        if quiet { replies = [] }
        // Claimed only when nothing else waits for this chat: a chat's messages go in order.
        let chat = contact
        let nothingWaits = { try !replies.isEmpty && !tx.hasUnsentOutbox(channel: chat.channel, address: chat.address) }
        var claimable = 0
        switch claiming {
        case .none: break
        case .all: if try nothingWaits() { claimable = replies.count }
        case .first(let window):
            guard try nothingWaits() else { break }
            // Sends are recorded at the wall clock's time, so that is the clock to compare with.
            if let window, try tx.hasSentOutbox(channel: chat.channel, address: chat.address, since: Date().addingTimeInterval(-window.inSeconds)) { break }
            claimable = 1
        }
        var outboxIDs: [Int64] = []
        var claimed: [ClaimedReply] = []
        for (index, reply) in replies.enumerated() {
            let payload = reply.json
            if index < claimable {
                let row = try tx.enqueueClaimed(contactID: contactID, channel: contact.channel, address: contact.address, payload: payload,
                                                instance: database.leases.instance, at: now)
                claimed.append(ClaimedReply(row: row, message: reply))
                outboxIDs.append(row.id!)
            } else {
                outboxIDs.append(try tx.enqueue(contactID: contactID, channel: contact.channel, address: contact.address, payload: payload, at: now))
            }
        }
        let notified = try deliver(notices, tx: tx, now: now)
        return .handled(contactID: contactID, outboxIDs: outboxIDs, notified: notified, plannedJobs: plannedJobs, claimed: claimed)
    }

    /// One dialogue step; a storage error rolls the whole step back. A broken flow must not leave the person in silence: apologise, log the flow problem, reset to the menu.
    /// `conversation` (the contact's id) goes on the log line, never who the person is.
    func converse<Host: DialogueHost>(_ input: DialogueInput, engine: DialogueEngine, session: inout Session, host: inout Host,
                                      defaultLanguage: String, conversation: Int64, logger: Logger) throws -> [OutboundMessage] {
        do {
            return try engine.handle(input, session: &session, host: &host, defaultLanguage: defaultLanguage)
        } catch let error as DialogueError {
            logger.error("dialogue step failed", metadata: ["conversation": "\(conversation)", "error": "\(error)", "flow": "\(session.flow ?? "-")",
                                                          "step": "\(session.step ?? "-")"])
            session.flow = nil
            session.step = nil
            session.waiting = nil
            return [reply("common.unavailable", language: session.language ?? defaultLanguage)]
        }
    }

    /// A household always exists once it has a code; a teacher only while the school file lists them.
    func isKnown(_ invitee: Invitee) -> Bool {
        if case .teacher(let id) = invitee { return school.teacher(id) != nil }
        return true
    }

    /// A message the service says itself (not a flow step), in `language`.
    public func reply(_ key: String, _ values: [String: MessageValue] = [:], language: String) -> OutboundMessage {
        OutboundMessage(text: localizer.text(key, values, language: language), language: language, rightToLeft: localizer.isRightToLeft(language))
    }

    /// Queues each notice for its household (the chat it last wrote from) or for every chat of its teacher, in that
    /// chat's language; "stop" is respected.
    func deliver(_ notices: [Notice], unprompted: Bool = false, tx: Transaction, now: Date) throws -> [Recipient] {
        var recipients: [Recipient] = []
        for notice in notices {
            let contacts = switch notice.recipient {
            case .household(let id): try tx.reachableContact(household: id).map { [$0] } ?? []
            case .teacher(let id): try tx.contacts(teacher: id)
            }
            for contact in contacts where contact.receivesMessages {
                let message = message(notice, language: language(of: contact))
                if let recipient = try queue(message, to: contact, unprompted: unprompted, tx: tx, now: now) { recipients.append(recipient) }
            }
        }
        return recipients
    }

    /// A notice in `language`, with its buttons.
    func message(_ notice: Notice, language: String) -> OutboundMessage {
        var message = reply(notice.key, notice.values, language: language)
        message.choices = notice.buttons.map {
            Choice(id: DialogueEngine.commandChoiceID($0.flow, argument: $0.argument), label: localizer.text($0.label, $0.values, language: language))
        }
        return message
    }

    /// Queues `message` for `contact` and returns whom to wake for it (nil for a contact of an unknown channel).
    func queue(_ message: OutboundMessage, to contact: ContactRecord, unprompted: Bool = false, tx: Transaction, now: Date) throws -> Recipient? {
        guard let contactID = contact.id, let channel = ChannelKind(rawValue: contact.channel) else { return nil }
        _ = try tx.enqueue(contactID: contactID, channel: contact.channel, address: contact.address,
                           payload: message.json, unprompted: unprompted, at: now)
        return Recipient(channel: channel, address: contact.address)
    }

    /// The language a contact reads, for messages the school sends on its own.
    func language(of contact: ContactRecord) -> String { contact.language ?? localizer.baseLanguage }

    func bindContact(existing: ContactRecord?, channel: ChannelKind, address: String, to invitee: Invitee,
                     tx: Transaction, now: Date) throws -> ContactRecord {
        let empty = Session().json
        if var contact = existing {
            contact.belong(to: invitee)
            contact.session = empty
            contact.language = nil
            try tx.updateContact(contact)
            return contact
        }
        return try tx.insertContact(channel: channel.rawValue, address: address, for: invitee, session: empty, at: now)
    }
}
