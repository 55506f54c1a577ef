import Foundation
import SamenspraakCore

/// When each channel last worked, kept in memory (since the start) for /healthz: a web chat request answered,
/// a Telegram getUpdates (or webhook update) received, a Telegram message sent, a WhatsApp webhook taken, a WhatsApp
/// message accepted by the Graph API, an SMS webhook taken, an SMS accepted by the provider,
/// a Matrix /sync answered, a Matrix message accepted by the homeserver.
public final class ChannelActivity: @unchecked Sendable {
    public enum Contact: Sendable, CaseIterable {
        case webchatRequest
        case telegramUpdates
        case telegramSend
        case whatsappWebhook
        case whatsappSend
        case smsWebhook
        case smsSend
        case matrixSync
        case matrixSend

        /// A message accepted by `channel`'s platform, for the channels that send through the outbox.
        public static func send(on channel: ChannelKind) -> Self? {
            switch channel {
            case .telegram: .telegramSend
            case .whatsapp: .whatsappSend
            case .sms: .smsSend
            case .matrix: .matrixSend
            case .webchat, .terminal: nil
            }
        }
    }

    // Guarded by `lock`; a few dates, written on every web chat request, so a plain lock rather than an actor hop.
    private let lock = NSLock()
    private var last: [Date?] = Array(repeating: nil, count: Contact.allCases.count)

    public init() {}

    public func record(_ contact: Contact, at moment: Date = Date()) {
        lock.withLock { last[contact.index] = moment }
    }

    public func last(_ contact: Contact) -> Date? {
        lock.withLock { last[contact.index] }
    }
}

extension ChannelActivity.Contact {
    var index: Int {
        switch self {
        case .webchatRequest: 0
        case .telegramUpdates: 1
        case .telegramSend: 2
        case .whatsappWebhook: 3
        case .whatsappSend: 4
        case .smsWebhook: 5
        case .smsSend: 6
        case .matrixSync: 7
        case .matrixSend: 8
        }
    }
}
