import Foundation

/// Claims that last as long as this process does, for daemons sharing one database (PostgreSQL): work that must run in
/// one place only (one Telegram `getUpdates` per bot, one Matrix device) is done by whoever holds its lease, and each
/// process holds a lease on its own `instance` name, so the others can tell whether the rows it claimed are still being
/// worked on. The database server drops a dead process's leases with its connection.
public protocol Leases: Sendable {
    /// This process's name among those sharing the database; rows it claims carry it.
    var instance: String { get }

    /// Whether other processes may share this database. An SQLite file has one daemon, so it always holds every lease.
    var areShared: Bool { get }

    /// Takes `name` if no live process holds it; true if this process holds it now (false if it already did).
    func acquire(_ name: String) async throws -> Bool

    /// Gives `name` up (when its work stops) so another process may take it at once.
    func release(_ name: String) async

    /// Whether the process named `instance` is still alive (holds its instance lease).
    func isAlive(instance: String) async throws -> Bool

    /// How many processes share the database now, this one included: they share a platform's overall rate limit.
    func liveInstances() async throws -> Int

    /// Throws unless this process still holds `name`: the leases are lost with the database connection that held
    /// them, and the work done under them must then stop. (The next `acquire` connects again.)
    func confirm(_ name: String) async throws
}

/// The leases of a database only this process uses (an SQLite file): every one is granted at once, to this process.
public actor LocalLeases: Leases {
    public nonisolated let instance = UUID().uuidString.lowercased()
    public nonisolated var areShared: Bool { false }
    private var held: Set<String> = []

    public init() {}

    public func acquire(_ name: String) -> Bool { held.insert(name).inserted }
    public func release(_ name: String) { held.remove(name) }
    /// Only this process writes the file; whoever claimed a row before it started has died.
    public func isAlive(instance: String) -> Bool { instance == self.instance }
    public func liveInstances() -> Int { 1 }
    public func confirm(_ name: String) {}
}

/// Word between daemons sharing a database that something they may be waiting for was committed (`Wakeups` keys: a
/// web chat's address, a channel, the jobs): a load balancer may send a parent's message to one daemon and the
/// browser's long poll for the answer to another. Nothing to tell on an SQLite file, which one daemon has.
public protocol Broadcasts: Sendable {
    /// Tells the other daemons; best effort (whoever waits also looks again after a while).
    func broadcast(_ keys: Set<String>)

    /// Hands the other daemons' broadcasts to `receive` until the task is cancelled.
    func listen(_ receive: @escaping @Sendable (Set<String>) async -> Void) async
}

/// The broadcasts of a database only this process uses.
public struct NoBroadcasts: Broadcasts {
    public init() {}
    public func broadcast(_ keys: Set<String>) {}
    public func listen(_ receive: @escaping @Sendable (Set<String>) async -> Void) async {}
}
