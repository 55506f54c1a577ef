import CSV
import DataFiles
import Foundation
import SamenspraakCore

/// The school's pupils and families as exported from the pupil administration.
public struct Roster: Sendable, Equatable {
    public var children: [Child]
    public var households: [Household]

    public init(children: [Child], households: [Household]) {
        self.children = children
        self.households = households
    }

    public struct Child: Sendable, Equatable {
        /// The administration's pupil number; stable across imports.
        public var id: String
        public var firstName: String
        public var lastName: String
        public var groupID: String

        public init(id: String, firstName: String, lastName: String, groupID: String) {
            self.id = id
            self.firstName = firstName
            self.lastName = lastName
            self.groupID = groupID
        }
    }

    /// One address a child lives at; separated parents form two households of one child.
    public struct Household: Sendable, Equatable {
        public var key: String
        public var guardians: [Guardian]
        public var childIDs: [String]

        public init(key: String, guardians: [Guardian], childIDs: [String]) {
            self.key = key
            self.guardians = guardians
            self.childIDs = childIDs
        }
    }

    public struct Guardian: Sendable, Equatable {
        public var name: String
        public var phone: String
        public var language: String

        public init(name: String, phone: String, language: String) {
            self.name = name
            self.phone = phone
            self.language = language
        }
    }
}

/// Reads a roster CSV: one row per child and guardian, comma- or semicolon-separated (Dutch spreadsheets use `;`):
///
/// ```
/// child_id,child_first_name,child_last_name,group,household,guardian_name,guardian_phone,guardian_language
/// 1001,Sara,El Amrani,g3,H001,Fatima El Amrani,+31612345678,ar
/// ```
/// A household is the set of rows sharing the `household` value; siblings share it, a child of separated
/// parents appears under two. Every bad row is reported with its line; a file with any bad row imports nothing.
public enum RosterCSV {
    public static let columns = ["child_id", "child_first_name", "child_last_name", "group", "household", "guardian_name", "guardian_phone", "guardian_language"]
    public static let maximumRows = 200_000

    public static func parse(path: String, text: String, school: School, languages: Set<String>) throws -> Roster {
        var issues: [FileIssue] = []
        func report(_ line: Int?, _ message: String) { issues.append(FileIssue(file: path, line: line, message: message)) }

        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let firstLine = body.prefix { $0 != "\n" && $0 != "\r" }
        let delimiter: UnicodeScalar = firstLine.contains(";") && !firstLine.contains(",") ? ";" : ","
        let reader: CSVReader
        do { reader = try CSVReader(string: body, hasHeaderRow: true, trimFields: true, delimiter: delimiter) } catch {
            throw FileIssues([FileIssue(file: path, line: 1, message: "has no header row")])
        }
        let header = (reader.headerRow ?? []).map { $0.lowercased() }
        var index: [String: Int] = [:]
        for column in columns {
            if let position = header.firstIndex(of: column) { index[column] = position } else { report(1, "the header lacks the column '\(column)'") }
        }
        if !issues.isEmpty { throw FileIssues(issues) }

        var children: [String: Roster.Child] = [:]
        var childOrder: [String] = []
        var households: [String: Roster.Household] = [:]
        var householdOrder: [String] = []
        var line = 2
        var rows = 0
        while let row = reader.next() {
            defer { line += 1 + row.reduce(0) { $0 + $1.filter(\.isNewline).count } }
            if row.allSatisfy({ $0.isEmpty }) { continue }
            rows += 1
            if rows > maximumRows {
                report(line, "the file has more than \(maximumRows) rows")
                break
            }
            func field(_ name: String) -> String {
                guard let position = index[name], position < row.count else { return "" }
                return row[position]
            }
            if row.count != header.count { report(line, "has \(row.count) fields, the header has \(header.count)") ; continue }
            let childID = field("child_id"), first = field("child_first_name"), last = field("child_last_name")
            let groupID = field("group"), householdKey = field("household"), guardianName = field("guardian_name")
            let phone = field("guardian_phone"), language = field("guardian_language").lowercased()
            var problems: [String] = []
            for (name, value) in [("child_id", childID), ("child_first_name", first), ("group", groupID), ("household", householdKey), ("guardian_name", guardianName)]
            where value.isEmpty { problems.append("'\(name)' is empty") }
            if !groupID.isEmpty, school.group(groupID) == nil { problems.append("the group '\(groupID)' is not in the school file") }
            if !language.isEmpty, !languages.contains(language) {
                problems.append("the language '\(language)' is not offered (offered: \(languages.sorted().joined(separator: ", ")))")
            }
            if !phone.isEmpty, !isPhoneNumber(phone) { problems.append("'\(phone)' is not a phone number (digits, spaces, dashes and a leading +)") }
            if let known = children[childID], !childID.isEmpty, known.firstName != first || known.lastName != last || known.groupID != groupID {
                problems.append("child \(childID) appears earlier with another name or group")
            }
            if !problems.isEmpty {
                report(line, problems.joined(separator: "; "))
                continue
            }
            if children[childID] == nil {
                children[childID] = Roster.Child(id: childID, firstName: first, lastName: last, groupID: groupID)
                childOrder.append(childID)
            }
            var household = households[householdKey] ?? Roster.Household(key: householdKey, guardians: [], childIDs: [])
            if households[householdKey] == nil { householdOrder.append(householdKey) }
            if !household.childIDs.contains(childID) { household.childIDs.append(childID) }
            if !household.guardians.contains(where: { $0.name == guardianName }) {
                household.guardians.append(Roster.Guardian(name: guardianName, phone: phone, language: language.isEmpty ? "nl" : language))
            }
            households[householdKey] = household
        }
        if let error = reader.error { report(line, "cannot be read further (\(error))") }
        if rows == 0 && issues.isEmpty { report(2, "has no rows") }
        if !issues.isEmpty { throw FileIssues(issues) }
        return Roster(children: childOrder.compactMap { children[$0] }, households: householdOrder.compactMap { households[$0] })
    }

    static func isPhoneNumber(_ text: String) -> Bool {
        let digits = text.filter(\.isNumber)
        let allowed = text.enumerated().allSatisfy { offset, char in char.isNumber || char == " " || char == "-" || (char == "+" && offset == 0) }
        return allowed && (6...15).contains(digits.count)
    }
}
