import Conversations
import Foundation
import Hummingbird
import SamenspraakCore
import Storage
import Testing
import TestSupport
import WhatsApp

/// The WhatsApp channel end to end: signed webhooks in over real HTTP on 127.0.0.1, the sender out to a fake Graph API.
@Suite struct WhatsAppChannelTests {
    @Test func aParentBooksAStartgesprekByWhatsApp() async throws {
        try await withWhatsApp { school, fake, parent in
            // The wa.me link in the letter pre-fills the invite code.
            try await parent.send(text: InviteCode.display(try school.household().code))
            let welcome = try await parent.waitForMessage { $0.rows.contains { $0.title == "Nederlands" } }
            #expect(welcome.text.hasPrefix("Welkom bij Samenspraak"))
            #expect(welcome.type == "interactive" && welcome.listButton != nil, "six languages: a list")
            try await parent.choose("Nederlands", in: welcome)
            let menu = try await parent.waitForMessage { message in (message.buttons.map(\.title) + message.rows.map(\.title)).contains("Gesprek plannen") }
            try await parent.choose("Gesprek plannen", in: menu)
            for question in ["Voor welk kind", "Op welke dag", "Hoe laat"] {
                let asked = try await parent.waitForMessage { $0.text.hasPrefix(question) || $0.text.contains(question) }
                try await parent.chooseFirst(in: asked)
            }
            let confirmation = try await parent.waitForMessage { $0.text.hasPrefix("Gepland!") }
            #expect(confirmation.text.contains("/ics/"))
            #expect(try school.runtime.database.readNow { try $0.activeBookingCount() } == 1)

            // Everything went within WhatsApp's limits, and every row knows its wamid for the status callbacks.
            for message in fake.sent {
                #expect(message.buttons.count <= 3 && message.buttons.allSatisfy { $0.title.utf16.count <= 20 })
                #expect(message.rows.count <= 10 && message.rows.allSatisfy { $0.title.utf16.count <= 24 && ($0.description?.utf16.count ?? 0) <= 72 })
                #expect((message.listButton?.utf16.count ?? 0) <= 20)
                #expect(message.text.utf16.count <= (message.type == "interactive" ? 1024 : 4096))
            }
            #expect(fake.sent.contains { !$0.buttons.isEmpty } && fake.sent.contains { !$0.rows.isEmpty })
            // The fake has the last message a moment before the sender records its batch.
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0) }.allSatisfy { $0.status == "sent" } }
            let rows = try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0) }
            #expect(rows.allSatisfy { $0.status == "sent" && $0.platformMessageID?.hasPrefix("wamid.") == true })
            // Each send is counted just after its batch is stored.
            let sent = #"samenspraak_messages_sent_total{channel="whatsapp"} \#(rows.count)"#
            try await waitUntil { school.runtime.metrics.prometheus.emitToString().contains(sent) }
            #expect(!school.runtime.metrics.prometheus.emitToString().contains(parent.number), "no phone number in a label")
        }
    }

    @Test func statusCallbacksUpdateTheOutboxRow() async throws {
        try await withWhatsApp { school, fake, parent in
            try await parent.send(text: InviteCode.display(try school.household().code))
            let welcome = try await parent.waitForMessage { _ in true }
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0).first?.status == "sent" } }
            // Out of order, as Meta may deliver them: read before sent; a receipt never goes back.
            for status in ["delivered", "read", "sent"] {
                #expect(try await post(parent.client, Payloads.envelope(statuses: [Payloads.status(welcome.id, status, to: parent.number)])) == .ok)
            }
            var row = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0).first })
            #expect(row.receipt == "read" && row.status == "sent")

            // A later message fails at WhatsApp (131026: the number cannot receive it): the row fails with the reason staff see.
            try await parent.choose("Nederlands", in: welcome)
            let next = try await parent.waitForMessage { _ in true }
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0).last?.status == "sent" } }
            let failed = Payloads.status(next.id, "failed", to: parent.number, errorCode: 131026, title: "Message undeliverable")
            #expect(try await post(parent.client, Payloads.envelope(statuses: [failed])) == .ok)
            row = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0).first { $0.platformMessageID == next.id } })
            #expect(row.status == "failed" && row.lastError?.contains("131026 Message undeliverable") == true)
            let deliveries = try school.runtime.database.readNow { try $0.failedDeliveries() }
            #expect(deliveries.contains { $0.channel == "whatsapp" && $0.reason.contains("131026") })
        }
    }

    @Test func outsideTheWindowUnpromptedMessagesGoAsTheTemplateOfTheParentsLanguage() async throws {
        try await withWhatsApp { school, fake, parent in
            let contact = try await bind(parent, school)
            // A reminder two days after the parent last wrote: a template; one within the window: the message itself.
            school.clock.advance(by: 2 * 24 * 3600)
            try await queueReminder("Herinnering: morgen om 15:25 het startgesprek.\nTot dan!", for: contact, school)
            let template = try await parent.waitForMessage { $0.type == "template" }
            #expect(template.template?.name == "samenspraak_bericht" && template.template?.language == "nl")
            #expect(template.text == "Herinnering: morgen om 15:25 het startgesprek. · Tot dan!", "one line, as template parameters must be")
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0).last?.sentAsTemplate } == "samenspraak_bericht" }

            try await parent.send(text: "menu")
            _ = try await parent.waitForMessage { _ in true }
            try await queueReminder("Nog een herinnering.", for: contact, school)
            let direct = try await parent.waitForMessage { $0.text == "Nog een herinnering." }
            #expect(direct.type == "text")
        }
    }

    @Test func error131047SwitchesTheMessageToItsTemplate() async throws {
        try await withWhatsApp { school, fake, parent in
            let contact = try await bind(parent, school)
            // Our clock says the window is open, WhatsApp says it closed: the same message goes as the template at once.
            fake.failNextSends([.reEngagement])
            try await queueReminder("Vergeet het gesprek niet.", for: contact, school)
            let template = try await parent.waitForMessage { $0.type == "template" }
            #expect(template.text == "Vergeet het gesprek niet.")
            // WhatsApp can also say so later, in a status callback: the row is queued again and goes as the template.
            try await queueReminder("Morgen is het zover.", for: contact, school)
            let freeform = try await parent.waitForMessage { $0.text == "Morgen is het zover." }
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0).last?.platformMessageID == freeform.id } }
            let failed = Payloads.status(freeform.id, "failed", to: parent.number, errorCode: 131047, title: "Re-engagement message")
            #expect(try await post(parent.client, Payloads.envelope(statuses: [failed])) == .ok)
            let again = try await parent.waitForMessage { $0.type == "template" }
            #expect(again.text == "Morgen is het zover.")
            try await waitUntil { try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0).last?.sentAsTemplate } != nil }
            let row = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0).last })
            #expect(row.status == "sent" && row.platformMessageID == again.id)
        }
    }

    @Test func withoutATemplateForTheLanguageOrDutchTheMessageFailsVisibly() async throws {
        try await withWhatsApp(templates: [:]) { school, fake, parent in
            let contact = try await bind(parent, school)
            school.clock.advance(by: 2 * 24 * 3600)
            try await queueReminder("Herinnering.", for: contact, school)
            try await waitUntil { try school.runtime.database.readNow { try $0.failedDeliveries() }.contains { $0.reason.contains("whatsapp_templates") } }
        }
    }

    @Test func rateLimitsBackOffAndOtherRefusalsFailWithTheReason() async throws {
        try await withWhatsApp { school, fake, parent in
            // 130429 (the number's throughput) and then 131056 (too many to this person): waited out, then sent once.
            fake.failNextSends([.throughput, .pairRateLimit])
            let started = ContinuousClock.now
            try await parent.send(text: InviteCode.display(try school.household().code))
            // Two backoffs of a second or more; the wait is generous because CI runs the suites side by side on two cores.
            let welcome = try await parent.waitForMessage(timeout: .seconds(20)) { _ in true }
            #expect(ContinuousClock.now - started >= .seconds(2), "backed off twice")
            #expect(fake.sent.filter { $0.text == welcome.text }.count == 1 && fake.requests == 3)
            let row = try #require(try school.runtime.database.readNow { try $0.outbox(channel: "whatsapp", address: parent.number, after: 0).first })
            #expect(row.attempts == 3)

            // Another 4xx (#100, a wrong parameter) is not retried: failed, with the reason, for staff.
            fake.failNextSends([.invalidParameter])
            try await parent.choose("Nederlands", in: welcome)
            try await waitUntil { try school.runtime.database.readNow { try $0.failedDeliveries() }.contains { $0.channel == "whatsapp" && $0.reason.contains("error 100") } }
            // The failure is counted just after it is stored.
            try await waitUntil { school.runtime.metrics.prometheus.emitToString().contains(#"samenspraak_send_failures_total{channel="whatsapp",reason="rejected"} 1"#) }
            #expect(school.runtime.metrics.prometheus.emitToString().contains(#"samenspraak_send_failures_total{channel="whatsapp",reason="rate_limited"} 2"#))
        }
    }

    /// Binds the parent's number with the invite code and reads the welcome; returns the contact.
    func bind(_ parent: WhatsAppParent, _ school: TestSchool) async throws -> ContactRecord {
        try await parent.send(text: InviteCode.display(try school.household().code))
        _ = try await parent.waitForMessage { _ in true }
        return try #require(try school.runtime.database.readNow { try $0.contact(channel: "whatsapp", address: parent.number) })
    }

    /// A message nobody asked for, as the job scheduler queues reminders.
    func queueReminder(_ text: String, for contact: ContactRecord, _ school: TestSchool) async throws {
        let payload = String(decoding: try JSONEncoder().encode(OutboundMessage(text: text, language: "nl")), as: UTF8.self)
        let now = school.clock.now()
        try await school.runtime.database.write { tx in
            _ = try tx.enqueue(contactID: contact.id ?? 0, channel: "whatsapp", address: contact.address, payload: payload, unprompted: true, at: now)
        }
        await school.runtime.service.wakeups.signal(Wakeups.channelKey(.whatsapp))
    }
}
