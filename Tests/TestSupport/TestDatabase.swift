import Foundation

/// Which database the tests' schools keep their rows in: an SQLite file each (the default), or a schema each on the
/// PostgreSQL server of `SAMENSPRAAK_POSTGRES_URL` when `SAMENSPRAAK_TEST_DATABASE=postgres`. So one suite proves both
/// engines; CI runs the storage-backed suites once more on PostgreSQL.
public enum TestDatabase {
    public static var isPostgres: Bool { ProcessInfo.processInfo.environment["SAMENSPRAAK_TEST_DATABASE"] == "postgres" }

    /// The `database` setting of a school kept in `directory`: its file there, or a schema named after the folder, so a
    /// restarted school finds its rows again.
    public static func setting(for directory: TemporaryDirectory) -> String {
        guard isPostgres else { return directory.path("samenspraak.sqlite") }
        guard let url = ProcessInfo.processInfo.environment["SAMENSPRAAK_POSTGRES_URL"], !url.isEmpty else {
            fatalError("SAMENSPRAAK_TEST_DATABASE=postgres needs SAMENSPRAAK_POSTGRES_URL (Tests/PostgresTests/postgres.sh starts a server)")
        }
        let schema = "t_" + directory.url.lastPathComponent.lowercased().filter { $0.isLetter || $0.isNumber }.suffix(32)
        return url + (url.contains("?") ? "&" : "?") + "schema=" + schema
    }
}
