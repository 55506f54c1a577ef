import Foundation
import Localization
import SamenspraakCore
import Storage

/// A teacher's talks of one day, each with what the parents answered beforehand: the morning agenda and the
/// teacher's "agenda" command show the same text.
struct TeacherAgenda {
    let school: School
    let localizer: Localizer

    /// The talks of `teacher` on the school day of `day`, in time order.
    func talks(teacher: String, day: Date, tx: Transaction) throws -> [BookingDetails] {
        let start = school.calendar.startOfDay(for: day)
        guard let end = school.calendar.date(byAdding: .day, value: 1, to: start) else { return [] }
        return try tx.activeBookings(teacher: teacher, from: start, until: end)
    }

    /// The message values (`day`, `talks`) of the talks of `teacher` on the school day of `day`; nil when there are none.
    func values(teacher: String, day: Date, language: String, tx: Transaction) throws -> [String: MessageValue]? {
        let talks = try talks(teacher: teacher, day: day, tx: tx)
        guard let first = talks.first else { return nil }
        return try values(of: talks, day: first.startsAt, language: language, tx: tx)
    }

    func values(of talks: [BookingDetails], day: Date, language: String, tx: Transaction) throws -> [String: MessageValue] {
        var lines: [String] = []
        for talk in talks {
            let group = try tx.child(id: talk.childID).flatMap { school.group($0.groupID)?.name } ?? ""
            lines.append(localizer.text("staff.agenda_talk", ["time": .time(talk.startsAt), "child": .text(talk.childFirstName),
                                                              "group": .text(group), "place": .text(talk.place)], language: language))
            var answered = false
            // With separated parents each household answers for itself; the teacher sees both.
            for household in try tx.attendees(booking: talk.bookingID) {
                let answers = try tx.answers(childID: talk.childID, householdID: household)
                guard !answers.isEmpty else { continue }
                answered = true
                let values = SchoolHost.questions.reduce(into: [String: MessageValue]()) { $0[$1] = .text(answers[$1] ?? "–") }
                lines.append(localizer.text("staff.agenda_answers", values, language: language))
            }
            if !answered { lines.append(localizer.text("staff.agenda_no_answers", [:], language: language)) }
        }
        return ["day": .day(day), "talks": .text(lines.joined(separator: "\n"))]
    }
}
