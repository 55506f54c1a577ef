import Conversations
import Foundation
import SamenspraakCore
import Storage

/// `samenspraak chat`: the same conversation as the web chat, on stdin/stdout; options are numbered lines
/// and can be answered with the number or the label.
public struct TerminalChat {
    let runtime: Runtime
    let output: (String) -> Void

    public init(runtime: Runtime, output: @escaping (String) -> Void = { print($0) }) {
        self.runtime = runtime
        self.output = output
    }

    /// Runs until end of input. Returns false when the invite code is unknown.
    public func run(inviteCode: String, lines: AnyIterator<String>) async throws -> Bool {
        guard let code = InviteCode.normalise(inviteCode),
              let invitee = try await runtime.database.read({ try $0.invitee(code: code) }) else { return false }
        let address = switch invitee {
        case .household(let id): "household-\(id)"
        case .teacher(let id): "teacher-\(id)"
        }
        var lastSeen: Int64 = 0
        let existing = try await runtime.database.read { try $0.contact(channel: ChannelKind.terminal.rawValue, address: address) }
        if existing == nil {
            _ = try await runtime.service.start(channel: .terminal, address: address, platformMessageID: UUID().uuidString, inviteCode: code, languageHint: nil)
        } else {
            // Resume where the conversation was: show the last message again.
            let rows = try await runtime.database.read { try $0.outbox(channel: ChannelKind.terminal.rawValue, address: address, after: 0, limit: 100_000) }
            lastSeen = (rows.dropLast().last?.id) ?? 0
        }
        lastSeen = try await show(address: address, after: lastSeen)
        while let line = lines.next() {
            let event = InboundEvent(channel: .terminal, address: address, platformMessageID: UUID().uuidString, content: .text(line))
            _ = try await runtime.service.handle(event, inviteCode: code)
            lastSeen = try await show(address: address, after: lastSeen)
        }
        return true
    }

    func show(address: String, after: Int64) async throws -> Int64 {
        let rows = try await runtime.database.read { try $0.outbox(channel: ChannelKind.terminal.rawValue, address: address, after: after) }
        let now = Date()
        try await runtime.database.write { try $0.markSent(outboxIDs: rows.compactMap(\.id), at: now) }
        for row in rows {
            guard let message = try? JSONDecoder().decode(OutboundMessage.self, from: Data(row.payload.utf8)) else { continue }
            output(message.text)
            for (index, choice) in message.choices.enumerated() { output("  \(index + 1). \(choice.label)") }
        }
        return rows.last?.id ?? after
    }
}
