import Conversations
import Foundation
import Hummingbird

/// Serves a booking's or a reception's .ics file at `/ics/<secret token>.ics`; cancelled or unknown ones are 404.
public struct CalendarController: Sendable {
    let service: ConversationService

    public init(service: ConversationService) { self.service = service }

    public func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/ics/:file") { _, context -> Response in
            guard let token = CalendarFile.token(fromFile: context.parameters.get("file"), length: 32) else {
                throw ChatError(.notFound, "No such calendar file.")
            }
            let school = service.school
            let now = Date()
            let calendar = try await service.database.read { tx -> (name: String, text: String)? in
                if let booking = try tx.activeBooking(icsToken: token) {
                    let teacher = school.teacher(booking.teacherID)?.name ?? booking.teacherID
                    return ("startgesprek.ics", CalendarFile.event(
                        uid: "booking-\(booking.bookingID)@samenspraak", start: booking.startsAt, end: booking.endsAt,
                        summary: "Startgesprek \(booking.childFirstName) – \(teacher)", location: "\(school.name), \(booking.place)",
                        description: "Startgesprek over \(booking.childFirstName) met \(teacher).", now: now))
                }
                if let reception = try tx.reception(icsToken: token) {
                    let group = school.group(reception.groupID)?.name ?? reception.groupID
                    return ("nieuwjaarsreceptie.ics", CalendarFile.event(
                        uid: "reception-\(reception.id)@samenspraak", start: reception.startsAt, end: reception.endsAt,
                        summary: "Nieuwjaarsreceptie \(group)", location: "\(school.name), \(reception.place)",
                        description: ["Nieuwjaarsreceptie van \(group).", reception.note].compactMap { $0 }.joined(separator: " "), now: now))
                }
                return nil
            }
            guard let calendar else { throw ChatError(.notFound, "This was moved or cancelled; ask for a new calendar link in the chat.") }
            return Response(status: .ok, headers: [.contentType: "text/calendar; charset=utf-8", .contentDisposition: "attachment; filename=\"\(calendar.name)\""],
                            body: .init(byteBuffer: ByteBuffer(string: calendar.text)))
        }
    }
}
