/// A message text cut into literal parts and `{placeholder}` parts once, when the catalog loads.
public struct Template: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case literal(String)
        case placeholder(String)
    }

    public let parts: [Part]

    init(parts: [Part]) { self.parts = parts }

    public var placeholders: Set<String> {
        Set(parts.compactMap { if case .placeholder(let name) = $0 { name } else { nil } })
    }

    /// Parses `text`; a `{` that does not open a well-formed `{name}` is an error naming the problem.
    public init(parsing text: String) throws(TemplateError) {
        var parts: [Part] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let char = text[index]
            if char == "{" {
                guard let close = text[index...].firstIndex(of: "}") else { throw TemplateError(message: "'{' without a closing '}'") }
                let name = String(text[text.index(after: index)..<close])
                guard Self.isValidName(name) else { throw TemplateError(message: "'{\(name)}' is not a valid placeholder name") }
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(.placeholder(name))
                index = text.index(after: close)
            } else if char == "}" {
                throw TemplateError(message: "'}' without an opening '{'")
            } else {
                literal.append(char)
                index = text.index(after: index)
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isLowercase || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isLowercase || $0.properties.numericType != nil)) || $0 == "_" }
    }
}

public struct TemplateError: Error, Sendable, Equatable {
    public var message: String
}
