import Foundation
import Logging
import Storage
import PostgresStorage

/// Where a school's database is: an SQLite file (the default) or a schema on a PostgreSQL server, from the
/// configuration's `database` (a path, or postgres://user@host:5432/database?schema=name).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Reads the setting; the problem is the rest of a sentence about it, without a password.
    public init(_ text: String) throws(DatabaseLocationProblem) {
        if PostgresLocation.isPostgres(text) {
            do { self = .postgres(try PostgresLocation(url: text)) } catch { throw DatabaseLocationProblem(description: error.description) }
        } else if text.contains("://") {
            throw DatabaseLocationProblem(description: "is an address but not a postgres:// one; give an SQLite file's path or postgres://user@host:5432/database?schema=name")
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The file's path, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.description
        }
    }

    /// The SQLite file, for what only a file can do (a backup copy, the archives beside it); nil on PostgreSQL.
    public var sqlitePath: String? {
        if case .sqlite(let path) = self { path } else { nil }
    }
}

public struct DatabaseLocationProblem: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension DatabaseLocation {
    /// Opens the database, migrated. On PostgreSQL this waits for the server (start-up and the command line may); the
    /// password comes from the URL or, as for PostgreSQL's own tools, from PGPASSWORD.
    public func open(logger: Logger) throws -> AppDatabase {
        switch self {
        case .sqlite(let path):
            return try AppDatabase.open(path: path)
        case .postgres(var location):
            if location.password == nil, let password = ProcessInfo.processInfo.environment["PGPASSWORD"], !password.isEmpty { location.password = password }
            do {
                return AppDatabase(engine: try PostgresEngine.openNow(location, logger: logger))
            } catch {
                throw DatabaseUnavailable(description: "\(location) could not be opened: \(postgresFailureReason(error))")
            }
        }
    }
}

/// The database server could not be reached or refused us; says which (without the password) and why.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public let description: String
}
