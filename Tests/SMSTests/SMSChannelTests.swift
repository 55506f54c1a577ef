import Conversations
import Dialogue
import Foundation
import Hummingbird
import Logging
import SamenspraakCore
import SMS
import Storage
import Testing
import TestSupport

/// The SMS channel end to end: signed Twilio webhooks in over real HTTP on 127.0.0.1, the sender out to a fake Twilio API.
@Suite struct SMSChannelTests {
    @Test func aParentBooksAStartgesprekByNumberedOptions() async throws {
        let log = CapturedLog()
        try await withSMS(logger: log.logger(label: "sms-test")) { school, fake, parent in
            try await parent.send("Hallo, mijn code is " + InviteCode.display(try school.household().code))
            let welcome = try await parent.waitForMessage { $0.body.contains("Nederlands") }
            #expect(welcome.body.hasPrefix("Welkom bij Samenspraak"))
            try await parent.send(try parent.number(of: "Nederlands", in: welcome))
            let menu = try await parent.waitForMessage { $0.body.contains(". Gesprek plannen") }
            try await parent.send(try parent.number(of: "Gesprek plannen", in: menu))
            for question in ["Voor welk kind", "Op welke dag", "Hoe laat"] {
                _ = try await parent.waitForMessage { $0.body.contains(question) && SMSParent.hasChoices($0) }
                try await parent.send("1")
            }
            let confirmation = try await parent.waitForMessage { $0.body.hasPrefix("Gepland!") }
            #expect(confirmation.body.contains("/ics/"))
            #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 1)

            // Every message came from the school's number, within Twilio's 1,600 characters, with the status callback.
            for message in fake.sent {
                #expect(message.from == SMSHarness.schoolNumber && message.body.count <= 1600)
                #expect(message.statusCallback == SMSHarness.publicURL + TwilioWebhook.statusPath)
            }
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0) }.allSatisfy { $0.status == "sent" } }
            let rows = try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0) }
            #expect(rows.allSatisfy { $0.platformMessageID?.hasPrefix("SM") == true })
            let sent = #"samenspraak_messages_sent_total{channel="sms"} \#(rows.count)"#
            try await waitUntil { school.runtime.metrics.prometheus.emitToString().contains(sent) }

            // Each part's segments are logged; never a number or a text.
            let lines = log.all
            let segmentLines = lines.filter { $0.message == "SMS sent" }
            #expect(segmentLines.count == fake.sent.count)
            #expect(segmentLines.allSatisfy { Int($0.metadata["segments"] ?? "") ?? 0 >= 1 && ["GSM-7", "UCS-2"].contains($0.metadata["encoding"]) })
            for line in lines {
                #expect(!line.text.contains("31612345678") && !line.text.contains("612345678"), "no phone number: \(line.text)")
                #expect(!line.text.contains("Welkom") && !line.text.contains("Gepland") && !line.text.contains("Hallo"), "no message text: \(line.text)")
            }
        }
    }

    @Test func statusCallbacksUpdateTheOutboxRow() async throws {
        try await withSMS { school, fake, parent in
            let welcome = try await bind(parent, school)
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0).first?.status == "sent" } }
            // Out of order, as callbacks may come: delivered before sent; a receipt never goes back. Queued changes nothing.
            for status in ["queued", "delivered", "sent"] {
                let answer = try await post(parent.client, TwilioPayloads.status(welcome.sid, status, to: parent.number), path: TwilioWebhook.statusPath)
                #expect(answer.status == .ok)
            }
            var row = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0).first })
            #expect(row.receipt == "delivered" && row.status == "sent")

            // A later message is undeliverable (30003: the phone is off): the row fails with the code and its meaning.
            try await parent.send("1")
            let next = try await parent.waitForMessage { _ in true }
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0).last?.status == "sent" } }
            let undelivered = TwilioPayloads.status(next.sid, "undelivered", to: parent.number, errorCode: 30003)
            #expect(try await post(parent.client, undelivered, path: TwilioWebhook.statusPath).status == .ok)
            row = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0).first { $0.platformMessageID == next.sid } })
            #expect(row.status == "failed" && row.lastError?.contains("Twilio error 30003") == true)
            #expect(try school.runtime.database.readNow { try $0.failedDeliveries() }.contains { $0.channel == "sms" && $0.reason.contains("30003") })

            // Failed with 21610 (the parent opted out at Twilio without us seeing it): unreachable until they write again.
            try await parent.send("menu")
            let third = try await parent.waitForMessage { _ in true }
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0).contains { $0.platformMessageID == third.sid } } }
            #expect(try await post(parent.client, TwilioPayloads.status(third.sid, "failed", to: parent.number, errorCode: 21610), path: TwilioWebhook.statusPath).status == .ok)
            #expect(try school.runtime.database.readNow { try $0.contact(channel: "sms", address: parent.number)?.unreachableAt } != nil)

            // Writing again makes the number reachable; a 21610 that overtakes its send's answer (its sid not recorded
            // yet) makes it unreachable all the same, and the report waits for its row.
            try await parent.send("menu")
            _ = try await parent.waitForMessage { _ in true }
            #expect(try school.runtime.database.readNow { try $0.contact(channel: "sms", address: parent.number)?.unreachableAt } == nil)
            let early = TwilioPayloads.status("SM" + String(repeating: "e", count: 32), "failed", to: parent.number, errorCode: 21610)
            #expect(try await post(parent.client, early, path: TwilioWebhook.statusPath).status == .ok)
            #expect(try school.runtime.database.readNow { try $0.contact(channel: "sms", address: parent.number)?.unreachableAt } != nil)
            #expect(try school.runtime.database.readNow { try $0.earlyDeliveryReportCount() } == 1)
        }
    }

    @Test func rateLimitsAndServerErrorsAreRetriedAndRefusalsSorted() async throws {
        try await withSMS { school, fake, parent in
            // 429 (20429, Retry-After: 1) and then a 500: waited out, then sent once.
            fake.failNextSends([.tooManyRequests, .serverError])
            let started = ContinuousClock.now
            // No upper bound on the wait (1 s, then a second of backoff): CI's parallel run has taken longer than 8 s.
            let welcome = try await bind(parent, school)
            #expect(ContinuousClock.now - started >= .seconds(1), "waited as Twilio asked")
            #expect(fake.sent.filter { $0.body == welcome.body }.count == 1 && fake.requests == 3)
            var row = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0).first })
            #expect(row.attempts == 3)

            // 21211 (not a valid number) is not retried: failed, with the code and our words, never Twilio's (which name the number).
            fake.failNextSends([.invalidNumber])
            try await parent.send("1")
            try await waitUntil { try school.runtime.database.readNow { try $0.failedDeliveries() }.contains { $0.channel == "sms" && $0.reason.contains("21211") } }
            let reasons = try school.runtime.database.readNow { try $0.failedDeliveries() }.map(\.reason)
            #expect(reasons.allSatisfy { !$0.contains("+31612345678") })
            let refused = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0) }
                .first { $0.lastError?.contains("21211") == true })
            #expect(refused.status == "failed" && refused.attempts == 1, "not retried")

            // The message held back behind the refused one goes next; settled first, so the 21610 below is the next
            // reply's (were it this one's, the parent's "menu" would make them reachable again, as writing again does).
            try await waitUntil {
                try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0) }.allSatisfy { ["sent", "failed"].contains($0.status) }
            }

            // 21610 (the parent replied STOP): unreachable, nothing more tried until they write again.
            fake.failNextSends([.unsubscribed])
            try await parent.send("menu")
            try await waitUntil { try school.runtime.database.readNow { try $0.contact(channel: "sms", address: parent.number)?.unreachableAt } != nil }
            row = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0).last })
            #expect(row.status == "failed" && row.lastError?.contains("unreachable") == true)
            try await waitUntil { school.runtime.metrics.prometheus.emitToString().contains(#"samenspraak_send_failures_total{channel="sms",reason="blocked"} 1"#) }
            #expect(school.runtime.metrics.prometheus.emitToString().contains(#"samenspraak_send_failures_total{channel="sms",reason="rejected"} 1"#))
        }
    }

    @Test func stopAndStartAreRecordedWithoutOurOwnReplyAndHelpIsAnswered() async throws {
        try await withSMS { school, fake, parent in
            _ = try await bind(parent, school)
            let before = fake.sent.count
            try await parent.send("STOP")
            #expect(try school.runtime.database.readNow { try $0.contact(channel: "sms", address: parent.number)?.stoppedAt } != nil)
            // What the school sends on its own no longer goes to them; Twilio would refuse it anyway.
            try await parent.send("START")
            #expect(try school.runtime.database.readNow { try $0.contact(channel: "sms", address: parent.number)?.stoppedAt } == nil)
            try await parent.send("HELP")
            let help = try await parent.waitForMessage { $0.body.hasPrefix("Met Samenspraak plant u") }
            #expect(fake.sent.count >= before + 1)
            #expect(fake.sent[before].sid == help.sid, "nothing was sent for STOP or START")
        }
    }

    @Test func aReminderChoiceIsAnsweredByItsNumber() async throws {
        try await withSMS { school, fake, parent in
            _ = try await bind(parent, school)
            try await parent.send("1")  // Nederlands
            _ = try await parent.waitForMessage { $0.body.contains("Gesprek plannen") }
            let contact = try #require(try school.runtime.database.readNow { try $0.contact(channel: "sms", address: parent.number) })
            // A message nobody asked for, with choices that start commands (as reminders and agreements have).
            let reminder = OutboundMessage(text: "Herinnering: morgen het startgesprek.", choices: [
                Choice(id: DialogueEngine.commandChoiceID("menu"), label: "Menu"), Choice(id: DialogueEngine.commandChoiceID("help"), label: "Hulp"),
            ], language: "nl")
            let payload = String(decoding: try JSONEncoder().encode(reminder), as: UTF8.self)
            let now = school.clock.now()
            try await school.runtime.database.write { tx in
                _ = try tx.enqueue(contactID: contact.id ?? 0, channel: "sms", address: parent.number, payload: payload, unprompted: true, at: now)
            }
            await school.runtime.service.wakeups.signal(Wakeups.channelKey(.sms))
            let sent = try await parent.waitForMessage { $0.body.hasPrefix("Herinnering") }
            #expect(sent.body.hasSuffix("1. Menu\n2. Hulp"))
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "sms", address: parent.number, after: 0).last?.status == "sent" } }
            try await parent.send("2")
            _ = try await parent.waitForMessage { $0.body.hasPrefix("Met Samenspraak plant u") }
        }
    }

    /// Binds the parent's number with the invite code; returns the welcome.
    @discardableResult
    func bind(_ parent: SMSParent, _ school: TestSchool, timeout: Duration = .seconds(30)) async throws -> FakeTwilio.Sent {
        try await parent.send(InviteCode.display(try school.household().code))
        return try await parent.waitForMessage(timeout: timeout) { _ in true }
    }
}
