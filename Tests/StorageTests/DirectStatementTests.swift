import Foundation
import Storage
import Testing
import TestSupport

/// Inside a transaction, queries and row changes on SQLite run on its own interface (`DirectStatement`), the rest
/// through GRDB. Every value must come back as it went, a refusal read as GRDB's would be, and a statement that
/// failed be usable again.
@Suite struct DirectStatementTests {
    static let scratch = "CREATE TABLE scratch (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BOOLEAN, d DATETIME, x BLOB, k TEXT UNIQUE)"

    func withEngine(_ body: (SQLiteEngine) async throws -> Void) async throws {
        let directory = TemporaryDirectory()
        let engine = try SQLiteEngine.open(path: directory.path("scratch.sqlite"))
        defer { try? engine.close() }
        try await engine.write { db in _ = try db.execute(Self.scratch, []) }
        try await body(engine)
    }

    @Test func everyKindOfValueComesBackAsItWentEitherWay() async throws {
        let date = Date(timeIntervalSince1970: 1_788_250_200.123)
        let texts = ["it's a 'quote' and a \"double\" one?", "مرحبا بالعالم", "👩‍👩‍👧 feest 🎉", "", "?"]
        let rows: [[SQLValue]] = texts.enumerated().map { [.integer(Int64($0.offset)), .null, .text($0.element), .null, .null, .null] }
            + [[.integer(Int64.max), .real(-2.5e-7), .null, .bool(true), .date(date), .blob(Data([0, 1, 2, 0xfe, 0xff]))],
               [.integer(Int64.min), .real(3.25), .null, .bool(false), .null, .blob(Data())]]
        try await withEngine { engine in
            let inside = try await engine.write { db in
                for row in rows { _ = try db.execute("INSERT INTO scratch (i, r, t, b, d, x) VALUES (?, ?, ?, ?, ?, ?)", row) }
                return try db.rows("SELECT i, r, t, b, d, x FROM scratch ORDER BY id", []).map(\.values)
            }
            // As SQLite keeps them: a Boolean as 0 or 1, a date as GRDB's text for it.
            let stored = rows.map { row in
                row.map { value -> SQLValue in
                    switch value {
                    case .bool(let bool): .integer(bool ? 1 : 0)
                    case .date(let date): .text(SQLDateText.text(date))
                    default: value
                    }
                }
            }
            #expect(inside == stored)
            #expect(try engine.readNow { db in try db.rows("SELECT i, r, t, b, d, x FROM scratch ORDER BY id", []).map(\.values) } == stored)
        }
    }

    @Test func changesAreCountedAndRefusalsTranslated() async throws {
        try await withEngine { engine in
            let (inserted, updated, refused, afterwards) = try await engine.write { db in
                let inserted = try db.execute("INSERT INTO scratch (k) VALUES (?), (?), (?)", [.text("a"), .text("b"), .text("c")])
                let updated = try db.execute("UPDATE scratch SET i = ? WHERE k <> ?", [.integer(7), .text("a")])
                // The same statement refused, then used again: a failed statement is reset, not left broken.
                var refused: SQLConstraintError?
                do { _ = try db.savepoint { try db.execute("INSERT INTO scratch (k) VALUES (?), (?), (?)", [.text("d"), .text("a"), .text("e")]) } } catch let error as SQLConstraintError { refused = error }
                let afterwards = try db.execute("INSERT INTO scratch (k) VALUES (?), (?), (?)", [.text("d"), .text("e"), .text("f")])
                return (inserted, updated, refused, afterwards)
            }
            #expect(inserted == 3 && updated == 2 && afterwards == 3)
            guard case .unique(let table, let columns, _)? = refused else { Issue.record("not refused: \(String(describing: refused))"); return }
            #expect(table == "scratch" && columns == ["k"])
            #expect(try engine.readNow { try $0.rows("SELECT k FROM scratch ORDER BY k", []).map { $0.values[0] } } == ["a", "b", "c", "d", "e", "f"].map { .text($0) })
        }
    }

    @Test func theWrongNumberOfArgumentsIsAnErrorAndTheStatementStillWorks() async throws {
        try await withEngine { engine in
            let count = try await engine.write { db in
                #expect(throws: (any Error).self) { try db.execute("INSERT INTO scratch (i, t) VALUES (?, ?)", [.integer(1)]) }
                _ = try db.execute("INSERT INTO scratch (i, t) VALUES (?, ?)", [.integer(1), .text("one")])
                return try db.rows("SELECT COUNT(*) FROM scratch WHERE t = ?", [.text("one")])[0].values[0]
            }
            #expect(count == .integer(1))
        }
    }

    @Test func aTableMadeInsideTheTransactionCanBeUsedAtOnce() async throws {
        try await withEngine { engine in
            let names = try await engine.write { db in
                _ = try db.execute("CREATE TABLE later (name TEXT)", [])   // through GRDB, which forgets the schema it knew
                _ = try db.execute("INSERT INTO later (name) VALUES (?)", [.text("Sanne")])
                return try db.rows("SELECT name FROM later", []).map { $0.values[0] }
            }
            #expect(names == [.text("Sanne")])
        }
    }
}
