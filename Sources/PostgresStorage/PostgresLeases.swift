import Foundation
import Logging
import PostgresNIO
import Storage

/// `Leases` as PostgreSQL advisory locks held by a connection of their own: the server drops them the moment that
/// connection ends (the process died, or the network to it broke), and another daemon can take them over. Each lock's
/// key is the school's schema and the lease's name hashed to 64 bits, so the schools on one database never collide.
/// The same connection carries the `Broadcasts` (NOTIFY and LISTEN on a channel per schema).
final class PostgresLeases: Leases, Broadcasts {
    let instance = UUID().uuidString.lowercased()
    var areShared: Bool { true }

    private struct State {
        var connection: PostgresConnection?
        /// A reconnection under way, which every caller waits for (one connection, not one each).
        var connecting: Task<PostgresConnection, any Error>?
        var held: Set<String> = []
        var closed = false
        /// Keys to broadcast, gathered while one NOTIFY is under way so a burst of steps costs a few.
        var outgoing: Set<String> = []
        var broadcasting = false
    }

    private let connector: PostgresConnector
    private let schema: String
    private let logger: Logger
    private let state = PostgresLocked(State())
    /// How long a statement may take before the connection counts as lost.
    private let answerWithin: TimeAmount = .seconds(5)

    /// Connects and takes this instance's own lease, blocking (the engine opens at start-up).
    init(connector: PostgresConnector, schema: String, logger: Logger) throws {
        self.connector = connector
        self.schema = schema
        self.logger = logger
        let connection = try connector.connectNow()
        do {
            guard try lock(instanceLease, on: connection).wait() else { throw PostgresLeaseRefused() }
            try joinInstances(on: connection).wait()
        } catch {
            try? connection.close().wait()
            throw error
        }
        state.update { $0.connection = connection }
    }

    private var instanceLease: String { "instance:\(instance)" }
    /// Held shared by every live instance: counting its holders counts the daemons.
    private var instancesLease: String { "instances" }

    func acquire(_ name: String) async throws -> Bool {
        guard !state.value.held.contains(name) else { return false }
        return try await onLiveConnection { connection in
            guard try await lock(name, on: connection).get() else { return false }
            return state.update { state in
                guard state.connection === connection else { return false }  // lost meanwhile: so is this lock
                return state.held.insert(name).inserted
            }
        }
    }

    func release(_ name: String) async {
        guard let connection = state.update({ $0.held.remove(name) != nil ? $0.connection : nil }) else { return }
        _ = try? await query("SELECT pg_advisory_unlock($1)", key(name), on: connection).get()
    }

    func isAlive(instance: String) async throws -> Bool {
        if instance == self.instance { return true }
        return try await onLiveConnection { connection in
            // Taken at once only if nobody holds it: then its instance is gone, and it is given straight back.
            guard try await lock("instance:\(instance)", on: connection).get() else { return true }
            _ = try await query("SELECT pg_advisory_unlock($1)", key("instance:\(instance)"), on: connection).get()
            return false
        }
    }

    func liveInstances() async throws -> Int {
        let key = UInt64(bitPattern: key(instancesLease))
        var bindings = PostgresBindings()
        bindings.append(Int64(key >> 32))
        bindings.append(Int64(key & 0xffff_ffff))
        return try await onLiveConnection { connection in
            // An advisory lock on a 64-bit key shows in pg_locks as its two halves (classid, objid) with objsubid 1.
            let result = try await query("""
                SELECT count(*) FROM pg_locks
                WHERE locktype = 'advisory' AND mode = 'ShareLock' AND granted AND objsubid = 1 AND classid::int8 = $1 AND objid::int8 = $2
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """, bindings, on: connection).get()
            return max(1, try result.rows.first?.first?.decode(Int.self) ?? 1)
        }
    }

    func confirm(_ name: String) async throws {
        // Not held any more: lost with a connection that has since been replaced (by another caller connecting again).
        guard let connection = state.update({ $0.held.contains(name) ? $0.connection : nil }) else { throw PostgresLeasesLost() }
        do {
            guard !connection.isClosed else { throw PostgresLeasesLost() }
            _ = try await query("SELECT 1", nil, on: connection).get()
        } catch {
            lost(connection, because: error)
            throw PostgresLeasesLost()
        }
    }

    /// Closes the connection, which gives every lease up.
    func close() {
        let connection = state.update { state -> PostgresConnection? in
            state.closed = true
            state.held = []
            defer { state.connection = nil }
            return state.connection
        }
        try? connection?.close().wait()
    }

    deinit {
        if let connection = state.value.connection { connection.close().whenComplete { _ in withExtendedLifetime(connection) {} } }
    }

    // MARK: The connection

    /// The connection, connected again (with this instance's lease taken again) if it was lost.
    private func liveConnection() async throws -> PostgresConnection {
        let (connection, connecting) = try state.update { state throws -> (PostgresConnection?, Task<PostgresConnection, any Error>?) in
            guard !state.closed else { throw PostgresEngineClosed() }
            if let connection = state.connection, !connection.isClosed { return (connection, nil) }
            if state.connecting == nil {
                state.held = []
                state.connecting = Task { [connector, instanceLease] in
                    let connection = try await connector.connect().get()
                    guard try await self.lock(instanceLease, on: connection).get() else {
                        try? await connection.close().get()
                        throw PostgresLeaseRefused()
                    }
                    try await self.joinInstances(on: connection).get()
                    return connection
                }
            }
            return (nil, state.connecting)
        }
        if let connection { return connection }
        guard let connecting else { throw PostgresLeasesLost() }
        do {
            let connection = try await connecting.value
            state.update { state in
                if state.connecting == connecting { (state.connection, state.connecting) = (connection, nil) }
            }
            logger.info("PostgreSQL leases: connected again")
            return connection
        } catch {
            state.update { state in if state.connecting == connecting { state.connecting = nil } }
            throw error
        }
    }

    /// Runs `body` on the live connection; a failure there counts as losing it (and every lease with it).
    private func onLiveConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await liveConnection()
        do {
            return try await body(connection)
        } catch {
            if !Task.isCancelled { lost(connection, because: error) }  // a listener stopping is no fault of the connection
            throw error
        }
    }

    private func lost(_ connection: PostgresConnection, because error: any Error) {
        let wasCurrent = state.update { state in
            guard state.connection === connection else { return false }
            (state.connection, state.held) = (nil, [])
            return true
        }
        guard wasCurrent else { return }
        logger.warning("PostgreSQL leases lost with their connection", metadata: ["reason": "\(postgresFailureReason(error))"])
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    // MARK: Statements

    private func lock(_ name: String, on connection: PostgresConnection) -> EventLoopFuture<Bool> {
        query("SELECT pg_try_advisory_lock($1)", key(name), on: connection).flatMapThrowing { result in
            guard let cell = result.rows.first?.first else { return false }
            return try cell.decode(Bool.self)
        }
    }

    /// Takes the lease every live instance holds shared (never refused: nobody holds it alone).
    private func joinInstances(on connection: PostgresConnection) -> EventLoopFuture<Void> {
        query("SELECT pg_advisory_lock_shared($1)", key(instancesLease), on: connection).map { _ in }
    }

    /// A statement that must be answered in `answerWithin`: a connection that does not answer has lost its locks
    /// as far as anyone can tell.
    private func query(_ sql: String, _ key: Int64?, on connection: PostgresConnection) -> EventLoopFuture<PostgresQueryResult> {
        var bindings = PostgresBindings()
        if let key { bindings.append(key) }
        return query(sql, bindings, on: connection)
    }

    private func query(_ sql: String, _ bindings: PostgresBindings, on connection: PostgresConnection) -> EventLoopFuture<PostgresQueryResult> {
        let answer = connection.eventLoop.makePromise(of: PostgresQueryResult.self)
        connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).cascade(to: answer)
        let timeout = connection.eventLoop.scheduleTask(in: answerWithin) { answer.fail(PostgresNoAnswer()) }
        answer.futureResult.whenComplete { _ in timeout.cancel() }
        return answer.futureResult
    }

    /// The lock key of a lease: FNV-1a of "schema/name", so two schools' leases of one name differ.
    func key(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(schema)/\(name)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}

// MARK: - Broadcasts

extension PostgresLeases {
    /// One NOTIFY channel per school (its schema), so a board's schools on one database do not wake each other.
    var notificationChannel: String { "samenspraak_\(schema)" }

    func broadcast(_ keys: Set<String>) {
        guard !keys.isEmpty else { return }
        let starts = state.update { state -> Bool in
            state.outgoing.formUnion(keys)
            guard !state.broadcasting else { return false }
            state.broadcasting = true
            return true
        }
        if starts { Task { await sendBroadcasts() } }
    }

    private func sendBroadcasts() async {
        while true {
            let keys = state.update { state -> Set<String> in
                defer { state.outgoing = [] }
                if state.outgoing.isEmpty { state.broadcasting = false }
                return state.outgoing
            }
            guard !keys.isEmpty else { return }
            do {
                try await onLiveConnection { connection in
                    for payload in Self.payloads(from: instance, keys) {
                        var bindings = PostgresBindings()
                        bindings.append(notificationChannel)
                        bindings.append(payload)
                        _ = try await query("SELECT pg_notify($1, $2)", bindings, on: connection).get()
                    }
                }
            } catch {
                // Best effort: whoever waits looks again after a while anyway.
                logger.debug("PostgreSQL broadcast not sent", metadata: ["reason": "\(postgresFailureReason(error))"])
            }
        }
    }

    func listen(_ receive: @escaping @Sendable (Set<String>) async -> Void) async {
        while !Task.isCancelled {
            do {
                try await onLiveConnection { connection in
                    try await connection.listen(on: notificationChannel) { notifications in
                        for try await notification in notifications {
                            guard let (sender, keys) = Self.keys(in: notification.payload), sender != instance else { continue }
                            await receive(keys)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("PostgreSQL: listening again", metadata: ["reason": "\(postgresFailureReason(error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// "instance\nkey\nkey…", each under PostgreSQL's 8,000-byte limit for a payload.
    static func payloads(from instance: String, _ keys: Set<String>) -> [String] {
        var payloads: [String] = []
        var current = instance
        for key in keys.sorted() where !key.contains("\n") {
            if current.utf8.count + key.utf8.count + 1 > 7_000 {
                payloads.append(current)
                current = instance
            }
            current += "\n" + key
        }
        payloads.append(current)
        return payloads
    }

    static func keys(in payload: String) -> (sender: String, keys: Set<String>)? {
        let lines = payload.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let sender = lines.first, lines.count > 1 else { return nil }
        return (sender, Set(lines.dropFirst()))
    }
}

/// The connection holding the leases broke: none is held any more.
public struct PostgresLeasesLost: Error, CustomStringConvertible {
    public var description: String { "the PostgreSQL connection holding this daemon's leases was lost" }
}

/// This instance's own lease was already taken (two instances with one name).
struct PostgresLeaseRefused: Error, CustomStringConvertible {
    var description: String { "another daemon holds this instance's lease" }
}
