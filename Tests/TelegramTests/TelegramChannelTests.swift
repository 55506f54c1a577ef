import AsyncHTTPClient
import Foundation
import HTTPServer
import Hummingbird
import HummingbirdTesting
import Logging
import Monitoring
import SamenspraakCore
import Storage
import Synchronization
import Telegram
import Testing
import TestSupport

/// The Telegram channel against a fake Bot API over real HTTP on 127.0.0.1, with realistic update payloads.
@Suite struct TelegramChannelTests {
    @Test func aParentBooksWithButtonsThroughLongPolling() async throws {
        try await withTelegram { school, fake, parent in
            let code = InviteCode.display(try school.household().code)
            parent.send(text: "/start \(code)", command: true)
            let welcome = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Nederlands" } }
            #expect(welcome.text.hasPrefix("Welkom bij Samenspraak"))
            try await parent.press("Nederlands", in: welcome)
            try await parent.press("Gesprek plannen", in: try await parent.waitForMessage { $0.buttons.contains { $0.label == "Gesprek plannen" } })
            try await parent.pressFirst(in: try await parent.waitForMessage { $0.text.hasPrefix("Voor welk kind") })
            try await parent.pressFirst(in: try await parent.waitForMessage { $0.text.hasPrefix("Op welke dag") })
            try await parent.pressFirst(in: try await parent.waitForMessage { $0.text.hasPrefix("Hoe laat") })
            let confirmation = try await parent.waitForMessage { $0.text.hasPrefix("Gepland!") }
            #expect(confirmation.text.contains("/ics/"))
            #expect(fake.calls.filter { $0 == "answerCallbackQuery" }.count == 5)
            #expect(fake.calls.contains("editMessageText"))
            #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 1)
        }
    }

    @Test func strangersGroupsMediaEditsAndDuplicatesGetTheRightTreatment() async throws {
        try await withTelegram { school, fake, parent in
            // No invite code: explained in the language Telegram reports (Arabic here), nothing stored.
            let stranger = TelegramParent(fake: fake, chatID: 777_001, language: "ar")
            stranger.send(text: "/start", command: true)
            let explanation = try await stranger.waitForMessage { _ in true }
            #expect(explanation.text.hasPrefix("أهلًا بكم! لحجز لقاء"))
            // The same for the four newest languages, as Telegram's language_code gives them.
            for (index, (code, start)) in [("fa", "خوش آمدید! برای گرفتن وقت"), ("es", "¡Hola! Para planificar"), ("so", "Ku soo dhawoow! Si aad"),
                                           ("ti", "እንቋዕ ብደሓን መጻእኩም! ናይ መጀመርታ")].enumerated() {
                let other = TelegramParent(fake: fake, chatID: 777_002 + Int64(index), language: code)
                other.send(text: "/start", command: true)
                #expect(try await other.waitForMessage { _ in true }.text.hasPrefix(start), "\(code)")
            }

            // A group gets a short notice, and only for commands.
            fake.push(#"{"message":{"message_id":5,"from":{"id":42,"is_bot":false,"first_name":"Kees"},"chat":{"id":-100200300,"title":"Groep 5 ouders","type":"supergroup"},"date":1795424400,"text":"/start@samenspraak_bot"}}"#)
            fake.push(#"{"message":{"message_id":6,"from":{"id":42,"is_bot":false,"first_name":"Kees"},"chat":{"id":-100200300,"title":"Groep 5 ouders","type":"supergroup"},"date":1795424401,"text":"Hoi allemaal"}}"#)
            let groupNotice = try await TelegramParent(fake: fake, chatID: -100_200_300).waitForMessage { _ in true }
            #expect(groupNotice.text.hasPrefix("Ik werk alleen in een privégesprek"))

            // A known parent: a photo gets "text only", an edit re-runs nothing, a repeated update is ignored.
            parent.send(text: "/start \(InviteCode.display(try school.household().code))", command: true)
            _ = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Nederlands" } }
            fake.push(#"{"message":{"message_id":20,"from":{"id":\#(parent.chatID),"is_bot":false,"first_name":"Sanne","language_code":"nl"},"chat":{"id":\#(parent.chatID),"type":"private"},"date":1795424410,"photo":[{"file_id":"AgACAgQAAxkBAAIB","file_unique_id":"AQADx7Ex","file_size":1834,"width":90,"height":67}]}}"#)
            let textOnly = try await parent.waitForMessage { $0.text.hasPrefix("Ik kan alleen tekst lezen") }
            #expect(textOnly.buttons.isEmpty)
            let before = fake.sent.count
            fake.push(#"{"edited_message":{"message_id":21,"from":{"id":\#(parent.chatID),"is_bot":false,"first_name":"Sanne"},"chat":{"id":\#(parent.chatID),"type":"private"},"date":1795424411,"edit_date":1795424420,"text":"taal"}}"#)
            let duplicate = parent.send(text: "help")
            _ = try await parent.waitForMessage { $0.text.hasPrefix("Met Samenspraak plant u") }
            fake.push(#"{"message":{"message_id":99,"from":{"id":\#(parent.chatID),"is_bot":false,"first_name":"Sanne"},"chat":{"id":\#(parent.chatID),"type":"private"},"date":1795424412,"text":"help"}}"#, id: duplicate)
            // The menu follows the help text after the per-chat interval, later still on a loaded machine: wait for it,
            // then a moment more for anything the edit or the repeated update would wrongly have caused.
            _ = try await parent.waitForMessage { $0.text.hasPrefix("U heeft nog geen startgesprek gepland") }
            try await Task.sleep(for: .milliseconds(400))
            #expect(fake.sent.count - before == 2, "one help text and one menu; the edit and the repeated update did nothing")
        }
    }

    @Test func healthShowsWhenTelegramLastAnsweredAndDelivered() async throws {
        try await withTelegram { school, fake, parent in
            parent.send(text: "/start \(InviteCode.display(try school.household().code))", command: true)
            _ = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Nederlands" } }
            // The fake has the message a moment before the sender has recorded the batch it was in.
            try await waitUntil { school.runtime.service.monitoring.activity.last(.telegramSend) != nil }
            let operations = OperationsController(service: school.runtime.service, registry: school.runtime.metrics.prometheus, telegramMode: "polling")
            let router = buildRouter(service: school.runtime.service, assets: try StaticAssets.fromBundle(), operations: operations)
            try await Application(router: router).test(.router) { client in
                let response = try await client.execute(uri: "/healthz", method: .get)
                let health = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let telegram = try #require((health["channels"] as? [String: Any])?["telegram"] as? [String: Any])
                #expect(telegram["mode"] as? String == "polling")
                for field in ["lastUpdates", "lastSend"] {
                    let moment = try Date(try #require(telegram[field] as? String, "\(field)"), strategy: .iso8601)
                    #expect(moment.timeIntervalSinceNow > -60, "\(field)")
                }
            }
        }
    }

    @Test func rateLimitsServerErrorsAndBlockingAreHandled() async throws {
        try await withTelegram { school, fake, parent in
            fake.failNextSends([.tooManyRequests(retryAfter: 1), .serverError])
            parent.send(text: "/start \(InviteCode.display(try school.household().code))", command: true)
            let started = ContinuousClock.now
            let welcome = try await parent.waitForMessage(timeout: .seconds(30)) { $0.buttons.contains { $0.label == "Nederlands" } }   // a bound, not a speed: 429, then 500 and its backoff
            #expect(ContinuousClock.now - started >= .seconds(1), "retry_after was honoured")
            #expect(fake.sent.filter { $0.text == welcome.text }.count == 1, "sent once, after the failures")

            // The parent blocks the bot: the next message fails with 403, the contact becomes unreachable, nothing more is tried.
            fake.failNextSends([.blocked])
            try await parent.press("Nederlands", in: welcome)
            let address = String(parent.chatID)
            try await waitUntil { try school.runtime.database.readNow { try $0.contact(channel: "telegram", address: address)?.unreachableAt != nil } }
            let outbox = try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: address, after: 0) }
            #expect(outbox.allSatisfy { $0.status == "sent" || $0.status == "failed" })
            #expect(outbox.contains { $0.lastError?.contains("blocked") == true })
            // Staff see both in `samenspraak deliveries`.
            let (failed, unreachable) = try school.runtime.database.readNow { tx in (try tx.failedDeliveries(), try tx.unreachableContacts()) }
            #expect(failed.contains { $0.channel == "telegram" && $0.reason.contains("blocked") })
            #expect(unreachable.map(\.channel) == ["telegram"])

            // /metrics counts each failure by its reason, and /healthz knows when Telegram last answered. The sender counts
            // the 403 just after it committed the contact as unreachable: wait for the count, not a race.
            try await waitUntil {
                school.runtime.metrics.prometheus.emitToString().contains(#"samenspraak_send_failures_total{channel="telegram",reason="blocked"} 1"#)
            }
            let metrics = school.runtime.metrics.prometheus.emitToString()
            for reason in ["rate_limited", "unavailable", "blocked"] {
                #expect(metrics.contains(#"samenspraak_send_failures_total{channel="telegram",reason="\#(reason)"} 1"#), "\(reason)")
            }
            #expect(metrics.contains(#"samenspraak_send_failures_total{channel="telegram",reason="rejected"} 0"#))
            #expect(metrics.contains(#"samenspraak_messages_sent_total{channel="telegram"} 1"#), "the welcome")
            #expect(!metrics.contains(address), "no chat id in a label")
            let activity = school.runtime.service.monitoring.activity
            #expect(activity.last(.telegramUpdates) != nil && activity.last(.telegramSend) != nil)
        }
    }
}

extension TelegramChannelTests {
    /// A row whose payload is not a message (written by hand, or by a broken version) fails for staff to see, without a
    /// request to Telegram; the chat's next message still goes out.
    @Test func anUnreadableRowFailsWithoutReachingTelegram() async throws {
        try await withTelegram { school, fake, parent in
            parent.send(text: "/start \(InviteCode.display(try school.household().code))", command: true)
            _ = try await parent.waitForMessage { $0.buttons.contains { $0.label == "Nederlands" } }
            let address = String(parent.chatID)
            let sentBefore = fake.sent.count
            let broken = try school.runtime.database.writeNow { tx in
                let contact = try #require(try tx.contact(channel: "telegram", address: address))
                let broken = try tx.enqueue(contactID: contact.id!, channel: "telegram", address: address, payload: "{\"text\":", at: Date())
                _ = try tx.enqueue(contactID: contact.id!, channel: "telegram", address: address,
                                   payload: OutboundMessage(text: "Tot morgen", language: "nl").json, at: Date())
                return broken
            }
            _ = try await parent.waitForMessage { $0.text == "Tot morgen" }
            let row = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "telegram", address: address, after: 0) }.first { $0.id == broken })
            #expect(row.status == "failed" && row.lastError == "unreadable payload")
            #expect(fake.sent.count == sentBefore + 1, "only the readable one was sent")
        }
    }
}

// MARK: - Harness

/// Runs the fake Bot API, the daemon's poller and sender (its lanes only if `runningLanes`) and a parent's chat for the
/// duration of `body`.
func withTelegram(limits: TelegramSender.Limits = .init(perChatInterval: .milliseconds(5), perSecond: 1000, longestBackoff: .seconds(1)),
                  runningLanes: Bool = true,
                  _ body: @escaping @Sendable (TestSchool, FakeBotAPI, TelegramParent) async throws -> Void) async throws {
    let school = try TestSchool()
    let fake = FakeBotAPI()
    var logger = Logger(label: "telegram-test")
    logger.logLevel = .critical
    try await fake.serving { port in try await withThrowingTaskGroup(of: Void.self) { group in
        let api = BotAPIClient(http: HTTPClient.shared, baseURL: "http://127.0.0.1:\(port)", token: fake.token)
        let service = school.runtime.service
        let sender = TelegramSender(api: api, service: service, limits: limits, logger: logger)
        // As the daemon wires it: a step's replies go out from the update's handling, the rest (and retries) from the sender.
        let poller = TelegramPoller(api: api, inbound: TelegramInbound(service: service, api: api, replies: sender, logger: logger), logger: logger, pollTimeout: 1)
        group.addTask { await poller.run() }
        if runningLanes { group.addTask { await sender.run() } }
        try await body(school, fake, TelegramParent(fake: fake, chatID: 5_550_001))
        group.cancelAll()
    } }
}

/// A parent's Telegram app: sends texts and presses buttons as real updates, reads what the bot sent to this chat.
final class TelegramParent: Sendable {
    let fake: FakeBotAPI
    let chatID: Int64
    let language: String
    private let position = ReadPosition()
    private let messageIDs = Mutex<Int64>(100)

    init(fake: FakeBotAPI, chatID: Int64, language: String = "nl") {
        self.fake = fake
        self.chatID = chatID
        self.language = language
    }

    var from: String { #"{"id":\#(chatID),"is_bot":false,"first_name":"Sanne","last_name":"de Vries","language_code":"\#(language)"}"# }

    @discardableResult
    func send(text: String, command: Bool = false) -> Int64 {
        let id = messageIDs.withLock { $0 += 1; return $0 }
        let entities = command ? #","entities":[{"offset":0,"length":6,"type":"bot_command"}]"# : ""
        let escaped = text.replacingOccurrences(of: "\"", with: "\\\"")
        return fake.push(#"{"message":{"message_id":\#(id),"from":\#(from),"chat":{"id":\#(chatID),"first_name":"Sanne","type":"private"},"date":1795424400,"text":"\#(escaped)"\#(entities)}}"#)
    }

    func press(_ label: String, in message: FakeBotAPI.Sent) async throws {
        let button = try #require(message.buttons.first { $0.label == label }, "no button \(label) in \(message.buttons.map(\.label))")
        press(button, in: message)
    }

    func pressFirst(in message: FakeBotAPI.Sent) async throws {
        press(try #require(message.buttons.first, "no buttons under \(message.text)"), in: message)
    }

    private func press(_ button: (label: String, data: String), in message: FakeBotAPI.Sent) {
        let keyboard = message.buttons.map { #"[{"text":"\#($0.label)","callback_data":"\#($0.data)"}]"# }.joined(separator: ",")
        // What the message says now, as Telegram sends it back: a reply in place of a question follows the question.
        let text = (fake.text(of: message.messageID) ?? message.text).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        fake.push(#"{"callback_query":{"id":"cb\#(UUID().uuidString.prefix(8))","from":\#(from),"message":{"message_id":\#(message.messageID),"from":{"id":123456,"is_bot":true,"first_name":"Samenspraak","username":"samenspraak_bot"},"chat":{"id":\#(chatID),"type":"private"},"date":1795424400,"text":"\#(text)","reply_markup":{"inline_keyboard":[\#(keyboard)]}},"chat_instance":"-5551234","data":"\#(button.data)"}}"#)
    }

    /// The first message to this chat, after those already read, that matches.
    func waitForMessage(timeout: Duration = .seconds(30), _ matches: (FakeBotAPI.Sent) -> Bool) async throws -> FakeBotAPI.Sent {
        let chat = String(chatID)
        if let message = try await position.next(in: { fake.sent.filter { $0.chatID == chat } }, timeout: timeout, matching: matches) { return message }
        throw TelegramTestError.noMessage(fake.sent.filter { $0.chatID == chat }.map(\.text) + ["calls: \(fake.calls.prefix(20))"])
    }
}

enum TelegramTestError: Error { case noMessage([String]) }

@Suite struct TelegramRecoveryTests {
    @Test func anUpdateStoredButNotHandledBeforeACrashIsHandledAtStart() async throws {
        let school = try TestSchool()
        let code = InviteCode.display(try school.household().code)
        // What a crashed poller left behind: the update is in the inbox (Telegram was told it arrived), not handled.
        let update = #"{"update_id":31337,"message":{"message_id":9,"from":{"id":6660001,"is_bot":false,"first_name":"Sanne","language_code":"nl"},"chat":{"id":6660001,"type":"private"},"date":1795424400,"text":"/start \#(code)"}}"#
        try school.runtime.database.writeNow { try $0.storeReceived(channel: "telegram", messages: [("update:31337", update)], at: Date()) }
        #expect(try school.runtime.database.readNow { try $0.unprocessedInbox(channel: "telegram").count } == 1)

        let fake = FakeBotAPI()
        var logger = Logger(label: "recovery-test")
        logger.logLevel = .critical
        try await fake.serving { port in try await withThrowingTaskGroup(of: Void.self) { group in
            let api = BotAPIClient(http: HTTPClient.shared, baseURL: "http://127.0.0.1:\(port)", token: fake.token)
            let poller = TelegramPoller(api: api, inbound: TelegramInbound(service: school.runtime.service, api: api, logger: logger), logger: logger, pollTimeout: 1)
            group.addTask { await poller.run() }
            try await waitUntil { try school.runtime.database.readNow { try !$0.outbox(channel: "telegram", address: "6660001", after: 0).isEmpty } }
            group.cancelAll()
        } }
        #expect(try school.runtime.database.readNow { try $0.unprocessedInbox(channel: "telegram").count } == 0)
        #expect(try school.runtime.database.readNow { try $0.contact(channel: "telegram", address: "6660001") } != nil)
    }
}

extension TelegramParent {
    /// A parent who goes through the booking flow, and who, when an answer does not come (the daemon was down), asks
    /// again with "menu" and carries on from what the bot shows, as a person would; stops when its task is cancelled.
    func bookPersistently(code: String) async throws {
        send(text: "/start \(code)", command: true)
        var lastAction = ContinuousClock.now
        while ContinuousClock.now - lastAction < .seconds(60) {
            try Task.checkCancellation()
            let message: FakeBotAPI.Sent
            do {
                message = try await waitForMessage(timeout: .seconds(4)) { !$0.buttons.isEmpty || $0.text.hasPrefix("Gepland!") }
            } catch {
                try Task.checkCancellation()
                send(text: "menu")
                continue
            }
            lastAction = .now
            if message.text.hasPrefix("Gepland!") { return }
            if message.text.hasPrefix("Wilt u alvast") || message.text.hasPrefix("Uw gesprekken") { return }  // booked; its confirmation was the one lost
            if let language = message.buttons.first(where: { $0.label == "Nederlands" }) {
                try await press(language.label, in: message)
            } else if let book = message.buttons.first(where: { $0.label == "Gesprek plannen" }) {
                try await press(book.label, in: message)
            } else if message.buttons.contains(where: { $0.label == "Voorbereiding" }) {
                return  // the menu of a household that has a talk
            } else {
                try await pressFirst(in: message)  // a child, a day or a time
            }
        }
        Issue.record("parent \(chatID - 8_000_000)'s conversation did not finish; its last messages: \(fake.sent.filter { $0.chatID == String(chatID) }.suffix(3).map { "\($0.instance): \($0.text.prefix(40))" })")
    }
}
