import ChannelKit
import Conversations
import Foundation
import Logging
import SamenspraakCore
import Storage

/// Turns room messages into conversation steps. A room is a household's conversation: its address is the room id. A
/// first message containing a valid invite code binds the room to the household (or, with a staff invite, to a
/// teacher); a room we do not know yet is told to send the code. Only text is read: images, files, voice and
/// locations get the polite text-only answer.
public struct MatrixInbound: Sendable {
    public let service: ConversationService
    let api: MatrixClient
    let logger: Logger
    /// Homeservers whose users may invite the bot ("school.nl", "matrix.org"); nil: any.
    let allowedServers: Set<String>?
    /// The bot's end-to-end encryption device; nil without a pickle key (encrypted messages are then unreadable).
    public let crypto: MatrixCrypto?
    static let channel = ChannelKind.matrix.rawValue

    public init(service: ConversationService, api: MatrixClient, allowedServers: [String]? = nil, crypto: MatrixCrypto? = nil, logger: Logger) {
        self.service = service
        self.api = api
        self.crypto = crypto
        self.allowedServers = allowedServers.map { Set($0.map { $0.lowercased() }) }
        self.logger = logger
    }

    /// The inbox id of a message.
    static func platformID(_ message: RoomMessage) -> String { message.eventID }

    /// Handles one stored message; when this returns its step is committed (or it was a duplicate, or needs none).
    public func handle(_ message: RoomMessage) async throws {
        let platformID = Self.platformID(message)
        guard !message.isEdit, message.msgtype != "m.notice" else {
            // An edit would run a step again; a notice comes from another bot (answering it could loop).
            try await markProcessed(platformID)
            return
        }
        let content = try await content(of: message)
        let event = InboundEvent(channel: .matrix, address: message.room, platformMessageID: platformID, content: content, languageHint: nil)
        let outcome = try await service.handleBindingInviteCode(event)
        guard outcome == .unknownSender else { return }
        // Marked processed (without text or sender), so a restart does not answer it again.
        try await markProcessed(platformID)
        await answerDirectly(message, "matrix.need_invite")
    }

    func content(of message: RoomMessage) async throws -> InboundContent {
        switch message.msgtype {
        case "m.text", "m.emote":
            let text = message.typedText
            if text.trimmingCharacters(in: .whitespacesAndNewlines).typedNumber != nil {
                // A number typed after an unprompted message (a reminder's options) picks its command choice.
                let last = try await service.database.read { try $0.lastSentOutbox(channel: Self.channel, address: message.room) }
                if let last, let sent = OutboundMessage(json: last.payload),
                   let choice = NumberedChoices.commandChoice(typed: text, after: sent) {
                    return .choice(choice)
                }
            }
            return .text(text)
        default:
            return .unsupported
        }
    }

    func markProcessed(_ platformID: String) async throws {
        let now = service.clock.now()
        try await service.database.write { try $0.markProcessed(channel: Self.channel, platformMessageID: platformID, at: now) }
    }

    /// A reply to a room we do not know yet: not stored; in the school's language and then in English, since Matrix
    /// tells no language. Its transaction id comes from the event it answers, so handling that event again after a
    /// restart does not answer twice.
    func answerDirectly(_ message: RoomMessage, _ key: String) async {
        let base = service.localizer.supported(nil), english = service.localizer.supported("en")
        let text = ([base] + (english == base ? [] : [english])).map { service.reply(key, language: $0).text }.joined(separator: "\n\n")
        do {
            let content = MessageContent(body: text), transactionID = "answer-" + Self.digest(message.eventID)
            if let crypto {
                _ = try await crypto.send(room: message.room, content: content, transactionID: transactionID)
            } else {
                _ = try await api.send(room: message.room, content: content, transactionID: transactionID)
            }
        } catch {
            logger.warning("Matrix answer to an unknown room failed", metadata: ["error": "\(error)"])
        }
    }

    /// Accepts an invitation from an allowed homeserver (declines others). A room that is not direct is left again
    /// when more than the parent and the bot are in it: families must not see each other's messages.
    public func accept(_ invite: RoomInvite) async throws {
        if let allowedServers, !allowedServers.contains(invite.inviterServer.lowercased()) {
            logger.info("Matrix: declined an invitation from a homeserver that is not allowed")
            try await api.leave(room: invite.room)
            return
        }
        try await api.join(room: invite.room)
        if !invite.isDirect, try await api.joinedMemberCount(room: invite.room) > 2 {
            logger.info("Matrix: left a room with more than two members")
            try await api.leave(room: invite.room)
            return
        }
        logger.info("Matrix: joined a room", metadata: ["direct": "\(invite.isDirect)"])
    }

    /// A short stable text made of an event id (FNV-1a, 64 bits), for transaction ids.
    static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
