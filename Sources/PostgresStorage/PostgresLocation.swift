import Foundation
import NIOSSL
import PostgresNIO

/// Where a school's data lives on PostgreSQL, from a URL such as
/// `postgres://samenspraak:secret@db.example.nl:5432/samenspraak?schema=klimop&sslmode=require`.
/// Each school of a board has its own schema (default `public`), so one database server holds them all apart.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    /// A secret: never in `description`, logs or errors.
    public var password: String?
    public var database: String
    public var schema: String
    /// `sslmode=require`: TLS with the server's certificate checked; `disable` (the default): plain, for a server on
    /// the same machine or a private network.
    public var requiresTLS: Bool

    public static func isPostgres(_ text: String) -> Bool { text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") }

    /// Reads the URL; the message names what is wrong, never the password.
    public init(url text: String) throws(PostgresLocationProblem) {
        guard Self.isPostgres(text), let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw PostgresLocationProblem("must look like postgres://user:password@host:5432/database?schema=name")
        }
        guard let user = url.user, !user.isEmpty else { throw PostgresLocationProblem("names no user (postgres://user@host/database)") }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw PostgresLocationProblem("names no database (postgres://user@host/database)") }
        var schema = "public", requiresTLS = false
        for item in url.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("schema", let value):
                guard value.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
                    throw PostgresLocationProblem("has schema=\(value); a schema is lower-case letters, digits and underscores, such as klimop")
                }
                schema = value
            case ("sslmode", "require"): requiresTLS = true
            case ("sslmode", "disable"): requiresTLS = false
            case ("sslmode", let value): throw PostgresLocationProblem("has sslmode=\(value); it is require or disable")
            case (let name, _): throw PostgresLocationProblem("has the unknown parameter \(name); the parameters are schema and sslmode")
            }
        }
        self.host = host
        self.port = url.port ?? 5432
        self.username = user
        self.password = url.password
        self.database = database
        self.schema = schema
        self.requiresTLS = requiresTLS
    }

    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database)?schema=\(schema)\(requiresTLS ? "&sslmode=require" : "")"
    }

    var configuration: PostgresConnection.Configuration {
        get throws {
            let tls: PostgresConnection.Configuration.TLS = requiresTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
            return .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
    }
}

/// Why a PostgreSQL URL was refused, as the rest of a sentence about it.
public struct PostgresLocationProblem: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
