import ChannelKit
import Conversations
import Foundation
import Logging
import SamenspraakCore
import Storage

/// Delivers the outbox's WhatsApp rows through the shared `OutboxSender` (in order per number, paced, retried, never
/// twice). Within 24 hours of the parent's last message anything may be sent; outside it, messages nobody asked for
/// (reminders, nudges, check-ins: the outbox's unprompted rows) go as the approved template of the parent's language.
/// When WhatsApp refuses a message with 131047 (the window closed), that message goes as its template instead;
/// 130429 and 131056 (rate limits) wait and try again; other refusals fail with the reason, which staff see.
public struct WhatsAppSender: Sendable {
    public typealias Limits = OutboxLimits

    let sender: OutboxSender<WhatsAppTransport>

    /// `templates` by language ("nl", "ar" …); `baseLanguage`'s is used for a language without its own.
    public init(api: GraphAPIClient, service: ConversationService, templates: [String: WhatsAppTemplate], limits: Limits = Limits(perSecond: 80),
                logger: Logger) {
        let transport = WhatsAppTransport(api: api, service: service, templates: templates, logger: logger)
        sender = OutboxSender(channel: .whatsapp, transport: transport, service: service, limits: limits, logger: logger)
    }

    /// Runs until the task is cancelled.
    public func run() async { await sender.run() }
}

struct WhatsAppTransport: OutboxTransport {
    let api: GraphAPIClient
    let service: ConversationService
    let templates: [String: WhatsAppTemplate]
    let logger: Logger

    static var reportsDelivery: Bool { true }

    /// WhatsApp counts 24 hours from the person's message; we count from when we stored it, a little later, so a
    /// margin keeps us inside.
    static let window: TimeInterval = 24 * 3600 - 10 * 60

    static func windowIsOpen(lastInbound: Date?, now: Date) -> Bool {
        guard let lastInbound else { return false }
        return now.timeIntervalSince(lastInbound) < window
    }

    func send(_ row: OutboxRecord, _ message: OutboundMessage) async -> DeliveryOutcome {
        if row.templateRequired { return await sendTemplate(message, to: row.address) }
        if row.unprompted {
            let contact: ContactRecord?
            do { contact = try await service.database.read { try $0.contact(id: row.contactID) } } catch {
                return .failed(.unavailable("the contact could not be read: \(type(of: error))"))
            }
            if !Self.windowIsOpen(lastInbound: contact?.lastInboundAt, now: service.clock.now()) { return await sendTemplate(message, to: row.address) }
        }
        let listLabel = service.localizer.text("whatsapp.choose", [:], language: message.language)
        do {
            var sentID = ""
            for part in WhatsAppRendering.messages(for: message, to: row.address, listLabel: listLabel) { sentID = try await api.send(part) }
            return .sent(platformMessageID: sentID)
        } catch where error.code == GraphAPIError.reEngagement {
            logger.info("WhatsApp: outside the 24-hour window; sending the message as its template", metadata: ["outbox": "\(row.id ?? 0)"])
            return await sendTemplate(message, to: row.address)
        } catch {
            return .failed(error.delivery)
        }
    }

    func sendTemplate(_ message: OutboundMessage, to address: String) async -> DeliveryOutcome {
        guard let template = templates[message.language] ?? templates[service.localizer.baseLanguage] else {
            return .failed(.rejected("outside WhatsApp's 24-hour window, and whatsapp_templates has no template for \(message.language)"))
        }
        do {
            return .sent(platformMessageID: try await api.send(WhatsAppRendering.template(template, for: message, to: address)), template: template.name)
        } catch {
            return .failed(error.delivery)
        }
    }
}
