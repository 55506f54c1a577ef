/// A problem in a data file, reported as `file:line: message` so staff and CI can find it.
public struct FileIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// Problems found while reading one or more data files; thrown when any were found.
public struct FileIssues: Error, Sendable, CustomStringConvertible {
    public var issues: [FileIssue]
    public init(_ issues: [FileIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
