import Foundation

/// Statements come with SQLite's `?` for each argument; PostgreSQL numbers its parameters (`$1`, `$2`, …).
enum PostgresPlaceholders {
    /// Numbers each `?` outside string literals ('…'), quoted identifiers ("…") and `--` comments, where a question
    /// mark is only text.
    static func numbered(_ sql: String) -> String {
        var result = ""
        result.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?   // the quote that opened the literal or identifier we are in
        var inComment = false
        var previous: Character?
        for character in sql {
            defer { previous = character }
            if inComment {
                if character == "\n" { inComment = false }
            } else if let open = quote {
                if character == open { quote = nil }   // a doubled quote ('') closes and reopens: still right
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "-", previous == "-" {
                inComment = true
            } else if character == "?" {
                number += 1
                result += "$\(number)"
                continue
            }
            result.append(character)
        }
        return result
    }
}

/// Translations already made: the daemon runs the same few statements over and over.
final class PostgresStatementCache: @unchecked Sendable {
    private let lock = NSLock()
    private var translations: [String: String] = [:]
    /// Statements are written in the code, so they are few; the bound only guards against SQL built from data.
    private let limit = 2_000

    func numbered(_ sql: String) -> String {
        lock.lock()
        let known = translations[sql]
        lock.unlock()
        if let known { return known }
        let translated = PostgresPlaceholders.numbered(sql)
        lock.lock()
        if translations.count >= limit { translations.removeAll(keepingCapacity: true) }
        translations[sql] = translated
        lock.unlock()
        return translated
    }
}
