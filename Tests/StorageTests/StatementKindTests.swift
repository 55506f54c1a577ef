@testable import Storage
import Testing

/// Which statements a transaction runs on SQLite's own interface (row queries and changes) and which it leaves to
/// GRDB (savepoints, schema changes, pragmas): read from the first word, whatever its case and the space before it.
@Suite struct StatementKindTests {
    @Test(arguments: [
        ("SELECT 1", true), ("select * FROM slot", true), ("\n            INSERT INTO inbox (channel) VALUES (?)", true),
        ("\tUpdate outbox SET status = 'sent'", true), ("DELETE FROM job WHERE id = ?", true),
        ("WITH recent AS (SELECT 1) SELECT * FROM recent", true), ("with(x) AS (SELECT 1) SELECT 1", true),
        ("SAVEPOINT grdb", false), ("RELEASE SAVEPOINT grdb", false), ("CREATE TABLE t (id INTEGER)", false),
        ("PRAGMA synchronous = FULL", false), ("SELECTED", false), ("SELECTX 1", false), ("-- a comment\nSELECT 1", false),
        ("", false), ("   ", false), ("INSERTED INTO", false), ("WITHOUT", false), ("sélect 1", false),
    ])
    func theFirstWordDecides(sql: String, changesRowsOnly: Bool) {
        #expect(DirectStatement.changesRowsOnly(sql) == changesRowsOnly)
    }
}
