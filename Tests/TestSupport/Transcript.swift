import App
import Conversations
import Foundation
import SamenspraakCore
import Storage

/// Drives one conversation through `ConversationService` and records it as readable lines
/// ("> input", then each reply with its numbered choices), the form golden transcripts compare.
public final class Conversation: @unchecked Sendable {
    let service: ConversationService
    let database: AppDatabase
    let channel: ChannelKind
    public let address: String
    let inviteCode: String
    var lastSeen: Int64 = 0
    public private(set) var transcript: [String] = []
    public private(set) var lastMessages: [OutboundMessage] = []

    public init(_ school: TestSchool, inviteCode: String, address: String = UUID().uuidString, channel: ChannelKind = .terminal) {
        self.service = school.runtime.service
        self.database = school.runtime.database
        self.channel = channel
        self.address = address
        self.inviteCode = inviteCode
    }

    @discardableResult
    public func start(language: String? = nil) async throws -> [OutboundMessage] {
        transcript.append("> (start)")
        _ = try await service.start(channel: channel, address: address, platformMessageID: UUID().uuidString, inviteCode: inviteCode, languageHint: language)
        return try await receive()
    }

    @discardableResult
    public func say(_ text: String, messageID: String = UUID().uuidString) async throws -> [OutboundMessage] {
        transcript.append("> \(text)")
        _ = try await service.handle(InboundEvent(channel: channel, address: address, platformMessageID: messageID, content: .text(text)), inviteCode: inviteCode)
        return try await receive()
    }

    /// Presses a button of the last message that has buttons, or of an earlier `message`.
    @discardableResult
    public func press(_ label: String, in message: OutboundMessage? = nil) async throws -> [OutboundMessage] {
        let buttons = message ?? lastMessages.last(where: { !$0.choices.isEmpty })
        guard let choice = buttons?.choices.first(where: { $0.label == label }) else {
            throw ConversationError.noSuchButton(label, buttons?.choices.map(\.label) ?? [])
        }
        transcript.append("> [\(label)]")
        _ = try await service.handle(InboundEvent(channel: channel, address: address, platformMessageID: UUID().uuidString, content: .choice(choice.id)), inviteCode: inviteCode)
        return try await receive()
    }

    /// Books, in Dutch, the first free time on the `day`-th day offered (for the first child without a talk).
    public func bookFirstFreeTime(day: Int = 1) async throws {
        try await say("menu")
        try await press("Gesprek plannen")
        if lastMessages.last?.text.hasPrefix("Voor welk kind") == true { try await say("1") }
        try await say("\(day)")
        try await say("1")
    }

    /// The messages queued for this chat since the last look (replies, or notices caused by someone else).
    @discardableResult
    public func receive() async throws -> [OutboundMessage] {
        let (address, channel, after) = (self.address, self.channel.rawValue, lastSeen)
        let rows = try await database.read { try $0.outbox(channel: channel, address: address, after: after) }
        lastSeen = rows.last?.id ?? lastSeen
        let messages = rows.compactMap { try? JSONDecoder().decode(OutboundMessage.self, from: Data($0.payload.utf8)) }
        for message in messages {
            transcript.append((message.rightToLeft ? "[rtl] " : "") + message.text)
            transcript += message.choices.enumerated().map { "  \($0.offset + 1). \($0.element.label)" }
        }
        lastMessages = messages
        return messages
    }
}

public enum ConversationError: Error { case noSuchButton(String, [String]) }
