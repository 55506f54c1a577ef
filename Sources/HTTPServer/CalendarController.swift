import Conversations
import Foundation
import Hummingbird

/// Serves a booking's .ics file at `/ics/<secret token>.ics`; cancelled or unknown talks are 404.
public struct CalendarController: Sendable {
    let service: ConversationService

    public init(service: ConversationService) { self.service = service }

    public func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/ics/:file") { _, context -> Response in
            guard let file = context.parameters.get("file"), file.hasSuffix(".ics") else { throw ChatError(.notFound, "No such calendar file.") }
            let token = String(file.dropLast(4))
            guard token.count == 32, token.allSatisfy(\.isHexDigit),
                  let booking = try await service.database.read({ try $0.activeBooking(icsToken: token) }) else {
                throw ChatError(.notFound, "This talk was moved or cancelled; ask for a new calendar link in the chat.")
            }
            let school = service.school
            let teacher = school.teacher(booking.teacherID)?.name ?? booking.teacherID
            let text = CalendarFile.event(
                uid: "booking-\(booking.bookingID)@samenspraak", start: booking.startsAt, end: booking.endsAt,
                summary: "Startgesprek \(booking.childFirstName) – \(teacher)", location: "\(school.name), \(booking.place)",
                description: "Startgesprek over \(booking.childFirstName) met \(teacher).", now: Date())
            return Response(status: .ok, headers: [.contentType: "text/calendar; charset=utf-8", .contentDisposition: "attachment; filename=\"startgesprek.ics\""],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
