@testable import PostgresStorage
import Testing

/// The engine's text work, which needs no server: `?` numbered as `$n`, and a unique violation's key columns read
/// from the server's detail.
struct PostgresPlaceholderTests {
    @Test func questionMarksOutsideQuotesAndCommentsAreNumbered() {
        #expect(PostgresPlaceholders.numbered("SELECT * FROM t WHERE a = ? AND b IN (?, ?)") == "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)")
        #expect(PostgresPlaceholders.numbered("SELECT 'why?', \"c?\", ? -- what?\n, ?") == "SELECT 'why?', \"c?\", $1 -- what?\n, $2")
        #expect(PostgresPlaceholders.numbered("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', $1")
        #expect(PostgresPlaceholders.numbered("SELECT 1 - ?") == "SELECT 1 - $1")
        let cache = PostgresStatementCache()
        #expect(cache.numbered("VALUES (?)") == "VALUES ($1)" && cache.numbered("VALUES (?)") == "VALUES ($1)")
    }

    @Test func theKeyColumnsOfAUniqueViolationAreReadFromItsDetail() {
        #expect(PostgresSQLConnection.keyColumns("Key (slotid)=(5) already exists.") == ["slotid"])
        #expect(PostgresSQLConnection.keyColumns("Key (childid, scope)=(c1, x) already exists.") == ["childid", "scope"])
        #expect(PostgresSQLConnection.keyColumns("Key (\"Odd\")=(1) already exists.") == ["odd"])
        #expect(PostgresSQLConnection.keyColumns("something else") == [])
    }
}
