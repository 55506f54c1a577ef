/// One queue per chat: a chat's messages are handled one after the other, different chats' at the same time. The
/// long-polling channels hand it each batch (Telegram while storing it, Matrix once stored), and fetch the next meanwhile;
/// `room(below:)` lets them stop fetching while too much waits.
public actor PerChatQueues<Chat: Hashable & Sendable, Message: Sendable> {
    let handle: @Sendable (Message) async -> Void
    private var tails: [Chat: Task<Void, Never>] = [:]
    private var queued: [Chat: Int] = [:]
    /// Messages queued and not yet handled.
    private var backlog = 0
    /// The poller waiting for the backlog to drop below its limit.
    private var waiter: (limit: Int, continuation: CheckedContinuation<Void, Never>)?

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

    /// Waits until fewer than `limit` messages are queued, and returns how many more may come.
    public func room(below limit: Int) async -> Int {
        if backlog >= limit { await withCheckedContinuation { waiter = (limit, $0) } }
        return limit - backlog
    }

    private func finished(_ chat: Chat) {
        backlog -= 1
        if let waiting = waiter, backlog < waiting.limit {
            waiter = nil
            waiting.continuation.resume()
        }
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
