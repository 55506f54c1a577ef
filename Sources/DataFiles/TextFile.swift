import Foundation

/// Reads a data file as UTF-8 text; an unreadable or non-UTF-8 file is a `FileIssue` naming it.
public enum TextFile {
    public static func read(_ url: URL) throws(FileIssue) -> String {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileIssue(file: url.path, line: nil, message: "cannot be read (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileIssue(file: url.path, line: nil, message: "is not UTF-8 text")
        }
        return text
    }
}
