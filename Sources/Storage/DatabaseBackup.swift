import Foundation
import GRDB

/// A consistent copy of the database file taken while the daemon keeps writing: SQLite's online backup reads one
/// snapshot (a read transaction in WAL mode, which writers do not wait for) and copies it in a single step into a
/// new file next to the destination, which is renamed into place only when complete.
/// The source is opened without migrating it, so a backup never changes the database it copies.
public enum DatabaseBackup {
    public struct Report: Sendable {
        public let bytes: Int64
        public let tables: [(table: String, rows: Int)]
    }

    public enum Failure: Error, CustomStringConvertible {
        case missingDatabase(String)
        case destinationExists(String)
        case destinationFolderMissing(String)
        case unwritable(String, reason: String)
        case unreadable(String, reason: String)

        public var description: String {
            switch self {
            case .missingDatabase(let path): "There is no database at \(path) (see --database or the configuration's database)."
            case .destinationExists(let path): "\(path) already exists; add --force to replace it."
            case .destinationFolderMissing(let folder): "The folder \(folder) does not exist."
            case .unwritable(let path, let reason): "Cannot write \(path): \(reason)."
            case .unreadable(let path, let reason): "Cannot read the database \(path): \(reason)."
            }
        }
    }

    /// Copies the database at `source` to `destination`; an existing destination is replaced only if `replacing`.
    public static func copy(_ source: String, to destination: String, replacing: Bool) throws -> Report {
        let files = FileManager.default
        guard files.fileExists(atPath: source) else { throw Failure.missingDatabase(source) }
        let target = URL(fileURLWithPath: destination)
        if files.fileExists(atPath: target.path) && !replacing { throw Failure.destinationExists(destination) }
        let folder = target.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: folder.path, isDirectory: &isFolder) else { throw Failure.destinationFolderMissing(folder.path) }
        guard isFolder.boolValue else { throw Failure.unwritable(destination, reason: "\(folder.path) is not a folder") }

        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let reader: DatabaseQueue
        do {
            reader = try DatabaseQueue(path: source, configuration: configuration)
            // Fails here, not half-way, when the file is not an SQLite database.
            _ = try reader.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sqlite_master") }
        } catch {
            throw Failure.unreadable(source, reason: Self.reason(error))
        }
        let partial = folder.appendingPathComponent(".\(target.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        defer { try? files.removeItem(at: partial) }
        do {
            let copy = try DatabaseQueue(path: partial.path)
            try reader.backup(to: copy)
            try copy.close()
        } catch {
            throw Failure.unwritable(destination, reason: Self.reason(error))
        }
        // rename(2) puts the complete copy in place at once, also over the file it replaces.
        guard rename(partial.path, target.path) == 0 else { throw Failure.unwritable(destination, reason: String(cString: strerror(errno))) }
        // The rename survives a power cut only once the folder that records it is on disk too.
        let folderHandle = open(folder.path, O_RDONLY)
        if folderHandle >= 0 {
            fsync(folderHandle)
            close(folderHandle)
        }
        let tables = try DatabaseQueue(path: target.path).read { try Transaction(GRDBConnection($0)).tableRowCounts() }
        let bytes = (try? files.attributesOfItem(atPath: target.path)[.size] as? NSNumber)?.int64Value ?? 0
        return Report(bytes: bytes, tables: tables)
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }
}
