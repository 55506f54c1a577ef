import ChannelKit
import Foundation
import Logging
import SamenspraakCore
import Storage

/// `/sync` long polling: accepts the bot's invitations, then stores each batch's room messages in the inbox together
/// with the batch's `next_batch` token in ONE commit, and only then hands the messages to per-room queues. After a
/// restart polling goes on from the stored token; messages stored and never handled (a crash) are handled first. A
/// batch whose invitations could not be answered is fetched again (joining twice is harmless, the inbox drops repeats).
public struct MatrixPoller: Sendable {
    let api: MatrixClient
    let inbound: MatrixInbound
    let logger: Logger
    /// How long the homeserver holds a /sync open when there is nothing new.
    let pollTimeout: Duration
    /// Messages received but not yet handled before polling pauses (so a slow database is not overrun).
    let maximumBacklog: Int
    /// The longest wait after failures in a row.
    let longestBackoff: Duration

    public init(api: MatrixClient, inbound: MatrixInbound, logger: Logger, pollTimeout: Duration = .seconds(30), maximumBacklog: Int = 500,
                longestBackoff: Duration = .seconds(30)) {
        self.api = api
        self.inbound = inbound
        self.logger = logger
        self.pollTimeout = pollTimeout
        self.maximumBacklog = maximumBacklog
        self.longestBackoff = longestBackoff
    }

    static let channel = ChannelKind.matrix.rawValue

    /// Runs until the task is cancelled.
    public func run() async {
        let queues = PerChatQueues<String, RoomMessage> { [inbound, logger] message in
            do { try await inbound.handle(message) } catch {
                // Stays unhandled in the inbox; handled at the next start.
                logger.error("Matrix message could not be handled", metadata: ["error": "\(error)"])
            }
        }
        var backoff = min(.seconds(1), longestBackoff)
        if let crypto = inbound.crypto {
            // The device's keys are published before the first sync, so rooms can share theirs with it.
            while !Task.isCancelled {
                do {
                    try await crypto.start()
                    break
                } catch {
                    logger.error("Matrix: the encryption device could not start; trying again", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, longestBackoff)
                }
            }
            backoff = min(.seconds(1), longestBackoff)
        }
        await handleLeftovers()
        var since: String?
        while !Task.isCancelled {
            do {
                since = try await inbound.service.database.read { try $0.syncPosition(channel: Self.channel) }
                break
            } catch {
                logger.error("Matrix: the sync position could not be read", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
            }
        }
        while !Task.isCancelled {
            do {
                _ = await queues.room(below: maximumBacklog)
                let response = try await api.sync(since: since, timeout: pollTimeout)
                inbound.service.monitoring.activity.record(.matrixSync)
                let batch = SyncBatch(response, me: api.userID)
                if batch.unreadable > 0 { logger.warning("Matrix: events that could not be read were left out", metadata: ["count": "\(batch.unreadable)"]) }
                // Room keys first: a message in this batch may need one that came with it.
                let arrivedKeys = try await inbound.crypto?.absorb(batch) ?? []
                for invite in batch.invites { try await refusalsAside("an invitation") { try await inbound.accept(invite) } }
                for room in batch.crowdedRooms {
                    logger.info("Matrix: leaving a room with more than two members")
                    try await refusalsAside("leaving a room") { try await api.leave(room: room) }
                }
                let crowded = Set(batch.crowdedRooms)
                var messages = batch.messages.filter { !crowded.contains($0.room) }
                var waiting: [EncryptedRoomEvent] = []
                for event in batch.encrypted where !crowded.contains(event.room) {
                    guard let crypto = inbound.crypto else {
                        // Without a pickle key the bot has no keys: the parent is told it cannot read this.
                        logger.warning("Matrix: an encrypted message, but encryption is off (no pickle key)", metadata: ["event": "\(event.eventID)"])
                        messages.append(RoomMessage(eventID: event.eventID, room: event.room, sender: event.sender, msgtype: RoomMessage.unreadableEncrypted, body: ""))
                        continue
                    }
                    switch try await crypto.decrypt(event) {
                    case .message(let message): messages.append(message)
                    case .waitingForKey:
                        logger.info("Matrix: an encrypted message waits for its key", metadata: ["event": "\(event.eventID)", "session": "\(event.sessionID)"])
                        waiting.append(event)
                    case .nothing: continue
                    }
                }
                let encoder = JSONEncoder()
                let stored = try messages.map { (MatrixInbound.platformID($0), String(decoding: try encoder.encode($0), as: UTF8.self)) }
                let kept = try waiting.map { ($0.eventID, $0.room, $0.sessionID, String(decoding: try encoder.encode($0), as: UTF8.self)) }
                let now = Date()
                let position = batch.nextBatch
                try await inbound.service.database.write { tx in
                    try tx.storeReceived(channel: Self.channel, messages: stored, at: now)
                    for (eventID, room, sessionID, event) in kept {
                        try tx.storeMatrixPendingEvent(eventID: eventID, roomID: room, sessionID: sessionID, event: event, at: now)
                    }
                    try tx.storeSyncPosition(channel: Self.channel, position: position, at: now)
                }
                since = position
                await queues.enqueue(messages) { $0.room }
                if let crypto = inbound.crypto, !arrivedKeys.isEmpty {
                    // Messages kept from earlier batches whose key came only now.
                    await queues.enqueue(try await crypto.retryPending(arrivedKeys)) { $0.room }
                }
                backoff = min(.seconds(1), longestBackoff)
            } catch {
                if Task.isCancelled { break }
                var wait = backoff
                if case MatrixError.rateLimited(let asked?, _) = error { wait = max(asked, .milliseconds(100)) } else {
                    backoff = min(backoff * 2, longestBackoff)
                }
                logger.warning("Matrix sync failed; trying again", metadata: ["error": "\(error)", "wait": "\(wait)"])
                try? await Task.sleep(for: wait)
            }
        }
        await queues.drain()
    }

    /// Runs `body`; a refusal (the room is gone, or we may not join it) is logged and passed over, while a failure worth
    /// trying again is thrown, so the batch is fetched again.
    func refusalsAside(_ what: String, _ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as MatrixError {
            switch error {
            case .forbidden, .rejected: logger.warning("Matrix: \(what) was refused", metadata: ["error": "\(error)"])
            case .rateLimited, .unauthorised, .unavailable: throw error
            }
        }
    }

    /// Messages stored before a crash and never handled, in the order they came.
    func handleLeftovers() async {
        do {
            // Encrypted messages kept before a restart whose key came meanwhile go into the inbox first.
            _ = try await inbound.crypto?.retryPending(nil)
            let leftovers = try await inbound.service.database.read { try $0.unprocessedInbox(channel: Self.channel) }
            guard !leftovers.isEmpty else { return }
            logger.info("Matrix: handling messages stored before a restart", metadata: ["count": "\(leftovers.count)"])
            let decoder = JSONDecoder()
            for leftover in leftovers {
                guard let message = try? decoder.decode(RoomMessage.self, from: Data(leftover.payload.utf8)) else { continue }
                try await inbound.handle(message)
            }
        } catch {
            logger.error("Matrix: stored messages could not be handled", metadata: ["error": "\(error)"])
        }
    }
}
