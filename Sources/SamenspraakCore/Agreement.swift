import Foundation

/// One agreement of a child's communicatieplan op maat: **who** does **what**, **why**, **when** and **how**.
public struct Agreement: Sendable, Equatable {
    public enum Party: String, Sendable, CaseIterable, Codable {
        case teacher, parents, together
        /// Whether the teacher acts at the agreed moments (and so gets a reminder on the day).
        public var includesTeacher: Bool { self != .parents }
    }

    public enum Means: String, Sendable, CaseIterable, Codable {
        case phone, chat, mail, video
        case meeting            // at school
        case homeVisit = "home_visit"
    }

    public var childID: String
    /// The teacher who made the agreement and follows it up.
    public var teacherID: String
    public var who: Party
    public var what: String
    public var why: String
    public var when: AgreedMoments
    public var how: Means
    /// Asked to the parents at each moment ("How is practising counting to ten going?"); nil: no check-in.
    public var checkIn: String?
    /// The moment to look back together: before it, both sides get all the child's agreements.
    public var isEvaluation: Bool

    public init(childID: String, teacherID: String, who: Party, what: String, why: String, when: AgreedMoments, how: Means,
                checkIn: String? = nil, isEvaluation: Bool = false) {
        self.childID = childID
        self.teacherID = teacherID
        self.who = who
        self.what = what
        self.why = why
        self.when = when
        self.how = how
        self.checkIn = checkIn
        self.isEvaluation = isEvaluation
    }

    /// The longest free text a teacher may write in one field of an agreement.
    public static let maximumTextLength = 500
}

/// When an agreement's moments are, as written by a teacher or the staff API, several joined by ";":
/// `2027-01-12` · `week after report1` · `early june` (also mid, late; Dutch month names too) ·
/// `every 2 weeks until summer` (until a date, a report or a holiday of the school file).
public struct AgreedMoments: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case day(SchoolDay)
        case weekAfterReport(String)
        case partOfMonth(PartOfMonth, month: Int)
        case every(weeks: Int, until: End)
    }

    public enum PartOfMonth: String, Sendable, CaseIterable {
        case early, mid, late
        var firstDay: Int { switch self { case .early: 1; case .mid: 11; case .late: 21 } }
    }

    public enum End: Sendable, Equatable {
        case day(SchoolDay)
        case report(String)
        case holiday(String)
    }

    public var parts: [Part]

    public init(parts: [Part]) { self.parts = parts }

    /// At most this many moments: a repetition is for a school year, not for ever.
    public static let maximumMoments = 60

    /// The English month names "when" is written with.
    public static let monthNames = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
    static let dutchMonths = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"]

    /// Parses `text` against the school year (reports and holidays must exist); the error says what is wrong, in English.
    public static func parse(_ text: String, year: SchoolYear) -> Result<AgreedMoments, AgreedMomentsError> {
        var parts: [Part] = []
        for piece in text.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !piece.isEmpty {
            let words = piece.split(separator: " ").map(String.init)
            if words.count == 1, let day = SchoolDay(words[0]) {
                parts.append(.day(day))
            } else if words.count == 3, words[0] == "week", words[1] == "after" {
                guard year.report(words[2]) != nil else { return .failure(.init("'\(words[2])' is not a report in the school file's calendar")) }
                parts.append(.weekAfterReport(words[2]))
            } else if words.count == 2, let part = PartOfMonth(rawValue: words[0]) {
                guard let month = (monthNames.firstIndex(of: words[1]) ?? dutchMonths.firstIndex(of: words[1])) else {
                    return .failure(.init("'\(words[1])' is not a month"))
                }
                parts.append(.partOfMonth(part, month: month + 1))
            } else if words.first == "every" {
                var rest = Array(words.dropFirst())
                if rest.first == "week" { rest.insert("1", at: 0) }  // "every week until …"
                guard rest.count == 4, let weeks = Int(rest[0]), (1...8).contains(weeks), ["week", "weeks"].contains(rest[1]), rest[2] == "until" else {
                    return .failure(.init("a repetition is written like 'every 2 weeks until summer' (1 to 8 weeks, until a date, a report or a holiday), not '\(piece)'"))
                }
                let endText = rest[3]
                let end: End
                if let day = SchoolDay(endText) { end = .day(day) } else if year.report(endText) != nil { end = .report(endText) } else if year.holiday(endText) != nil {
                    end = .holiday(endText)
                } else {
                    return .failure(.init("'\(endText)' is not a date, nor a report or holiday in the school file's calendar"))
                }
                parts.append(.every(weeks: weeks, until: end))
            } else {
                return .failure(.init("'\(piece)' is not a moment; write a date (2027-01-12), 'week after <report>', 'early <month>' or 'every 2 weeks until <end>'"))
            }
        }
        guard !parts.isEmpty else { return .failure(.init("'when' is empty")) }
        return .success(AgreedMoments(parts: parts))
    }

    /// The canonical text, which `parse` reads back.
    public var text: String {
        parts.map { part in
            switch part {
            case .day(let day): day.description
            case .weekAfterReport(let id): "week after \(id)"
            case .partOfMonth(let part, let month): "\(part.rawValue) \(Self.monthNames[month - 1])"
            case .every(let weeks, let end):
                (weeks == 1 ? "every week" : "every \(weeks) weeks") + " until " + {
                    switch end {
                    case .day(let day): day.description
                    case .report(let id), .holiday(let id): id
                    }
                }()
            }
        }.joined(separator: "; ")
    }

    /// The school days these moments fall on, from `today` on, in order: a moment in a holiday or on a child-free day
    /// moves to the next school day; "the week after a report" is that week's first school day.
    public func days(from today: SchoolDay, in year: SchoolYear) -> [SchoolDay] {
        var days = Set<SchoolDay>()
        for part in parts {
            switch part {
            case .day(let day):
                days.insert(year.schoolDay(onOrAfter: day))
            case .weekAfterReport(let id):
                guard let report = year.report(id) else { continue }
                days.insert(year.schoolDay(onOrAfter: report.day.adding(days: 8 - report.day.weekday)))
            case .partOfMonth(let part, let month):
                var start = SchoolDay(year: today.year, month: month, day: part.firstDay)
                if start.adding(days: 9) < today { start.year += 1 }  // "early june" said in November: next June
                days.insert(year.schoolDay(onOrAfter: start))
            case .every(let weeks, let end):
                let last: SchoolDay? = switch end {
                case .day(let day): day
                case .report(let id): year.report(id)?.day
                case .holiday(let id): year.holiday(id)?.first.adding(days: -1)
                }
                guard let last else { continue }
                var moment = today
                for _ in 0..<Self.maximumMoments {
                    moment = moment.adding(days: 7 * weeks)
                    let day = year.schoolDay(onOrAfter: moment)
                    guard day <= last else { break }
                    days.insert(day)
                }
            }
        }
        return days.filter { $0 >= today }.sorted().prefix(Self.maximumMoments).map { $0 }
    }
}

public struct AgreedMomentsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
