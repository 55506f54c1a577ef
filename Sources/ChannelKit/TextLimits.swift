/// Fitting texts and button labels into a platform's limits, in any language. Lengths are counted in UTF-16 units
/// (what Telegram counts, and never fewer than the characters WhatsApp counts), and a cut never splits a character.
public enum TextLimits {
    /// Parts of at most `maximum` UTF-16 units, cut at a line break or space where possible.
    public static func parts(of text: String, maximum: Int) -> [String] {
        var parts: [String] = []
        var rest = Substring(text)
        while rest.utf16.count > maximum {
            let end = prefixEnd(of: rest, maximum: maximum)
            let head = rest[..<end]
            let cut = head.lastIndex(of: "\n") ?? head.lastIndex(of: " ")
            let split = cut.map { rest.index(after: $0) } ?? end
            parts.append(trimmingTrailingWhitespace(rest[..<split]))
            rest = rest[split...]
        }
        if !rest.isEmpty || parts.isEmpty { parts.append(String(rest)) }
        return parts
    }

    /// `label` in at most `maximum` units: whole if it fits, else cut at the last word boundary that leaves room for
    /// "…" (or within the word when the first word alone is too long), trailing spaces and punctuation dropped.
    public static func shorten(_ label: String, to maximum: Int) -> String {
        let label = trimmingTrailingWhitespace(Substring(label))
        guard label.utf16.count > maximum else { return label }
        return wordPrefix(of: Substring(label), maximum: max(1, maximum - 1)) + "…"
    }

    /// The longest start of `text` within `maximum` that ends on a word boundary (one in its second half), or within
    /// the word when there is none; trailing spaces and punctuation dropped.
    static func wordPrefix(of text: Substring, maximum: Int) -> String {
        let room = text[..<prefixEnd(of: text, maximum: maximum)]
        var head = room
        let cutInsideWord = text[room.endIndex...].first.map { !$0.isWhitespace } ?? false
        if cutInsideWord, let space = room.lastIndex(where: \.isWhitespace), room[..<space].utf16.count >= maximum / 2 {
            head = room[..<space]
        }
        trimEnd(&head)
        return String(head)
    }

    /// Each label shortened to `maximum`, and made unique (ignoring case): labels that shorten to the same text keep
    /// their last word instead ("Dinsdag 1…15:30", as times and dates differ at the end), and if that is not enough
    /// get " 2", " 3" …, so a person can still tell the buttons apart.
    public static func uniqueLabels(_ labels: [String], maximum: Int) -> [String] {
        let short = labels.map { shorten($0, to: maximum) }
        var counts: [String: Int] = [:]
        for label in short { counts[label.lowercased(), default: 0] += 1 }
        var taken = Set<String>()
        var result: [String] = []
        for (label, shortened) in zip(labels, short) {
            var candidate = shortened
            if counts[shortened.lowercased(), default: 0] > 1 { candidate = keepingEnd(label, maximum: maximum) }
            var number = 2
            while taken.contains(candidate.lowercased()) {
                let suffix = " \(number)"
                candidate = shorten(label, to: maximum - suffix.utf16.count) + suffix
                number += 1
            }
            taken.insert(candidate.lowercased())
            result.append(candidate)
        }
        return result
    }

    /// The label's start and its last word with "…" between, within `maximum` (plain shortening if the last word is too long).
    static func keepingEnd(_ label: String, maximum: Int) -> String {
        let label = trimmingTrailingWhitespace(Substring(label))
        guard label.utf16.count > maximum else { return label }
        guard let space = label.lastIndex(where: \.isWhitespace) else { return shorten(label, to: maximum) }
        let tail = label[label.index(after: space)...]
        let room = maximum - 1 - tail.utf16.count
        guard room >= 3 else { return shorten(label, to: maximum) }
        return wordPrefix(of: Substring(label), maximum: room) + "…" + tail
    }

    static func trimEnd(_ text: inout Substring) {
        while let last = text.last, last.isWhitespace || ",;:-–—·/(".contains(last) { text.removeLast() }
    }

    /// The end of the longest prefix of `text` within `maximum` UTF-16 units, on a character boundary.
    static func prefixEnd(of text: Substring, maximum: Int) -> Substring.Index {
        var end = text.startIndex
        var units = 0
        for index in text.indices {
            let width = text[index].utf16.count
            if units + width > maximum { break }
            units += width
            end = text.index(after: index)
        }
        return end
    }

    static func trimmingTrailingWhitespace(_ text: Substring) -> String {
        var text = text
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
