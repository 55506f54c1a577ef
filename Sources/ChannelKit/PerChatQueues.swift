/// One queue per chat: a chat's messages are handled one after the other, different chats' at the same time. The
/// long-polling channels (Telegram, Matrix) hand it each batch once it is stored, and fetch the next one meanwhile;
/// `backlog` lets them stop fetching while too much waits.
public actor PerChatQueues<Chat: Hashable & Sendable, Message: Sendable> {
    let handle: @Sendable (Message) async -> Void
    private var tails: [Chat: Task<Void, Never>] = [:]
    private var queued: [Chat: Int] = [:]
    public private(set) var backlog = 0

    /// `handle` does not throw: what could not be handled stays unhandled in the inbox, for the next start.
    public init(handle: @escaping @Sendable (Message) async -> Void) { self.handle = handle }

    /// Queues `messages` in the order given, each behind the earlier ones of its chat.
    public func enqueue(_ messages: [Message], chat: (Message) -> Chat) {
        for message in messages {
            let key = chat(message)
            let previous = tails[key]
            backlog += 1
            queued[key, default: 0] += 1
            tails[key] = Task { [handle] in
                await previous?.value
                await handle(message)
                self.finished(key)
            }
        }
    }

    private func finished(_ chat: Chat) {
        backlog -= 1
        queued[chat, default: 1] -= 1
        if queued[chat] == 0 {
            queued[chat] = nil
            tails[chat] = nil
        }
    }

    /// Waits for everything queued (a graceful stop).
    public func drain() async {
        while let task = tails.values.first { await task.value }
    }
}
