import Conversations
import Foundation
import Hummingbird
import SamenspraakCore
import Storage

/// A teacher's private calendar feed at `/ics/feed/<secret token>.ics`: their startgesprekken (from a month ago on)
/// and the moments agreed in the communicatieplan where the teacher acts. `samenspraak staff feed` gives the URL and
/// renews (revokes) it.
public struct TeacherFeedController: Sendable {
    let service: ConversationService

    public init(service: ConversationService) { self.service = service }

    /// The teacher's feed URL, made on first use; `renew` makes a new one and the old one stops working.
    public static func link(teacher: String, renew: Bool, database: AppDatabase, publicURL: String, now: Date = Date()) throws -> String {
        let token = try database.writeNow { try $0.calendarFeedToken(teacher: teacher, renew: renew, makeToken: StaffPages.newToken, at: now) }
        return "\(publicURL)/ics/feed/\(token).ics"
    }

    public func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/ics/feed/:file") { _, context -> Response in
            guard let file = context.parameters.get("file"), file.hasSuffix(".ics") else { throw ChatError(.notFound, "No such calendar feed.") }
            let token = CalendarFile.token(fromFile: file, length: 64)
            let school = service.school
            let now = service.clock.now()
            guard let token,
                  let text = try await service.database.read({ tx -> String? in
                      // A teacher who left the school file has no feed any more.
                      guard let teacherID = try tx.teacher(calendarFeedToken: token), school.teacher(teacherID) != nil else { return nil }
                      var events = try tx.activeBookings(teacher: teacherID, from: now.addingTimeInterval(-30 * 24 * 3600), until: .distantFuture).map {
                          CalendarFile.Event(uid: "booking-\($0.bookingID)@samenspraak", start: $0.startsAt, end: $0.endsAt,
                                             summary: "Startgesprek \($0.childFirstName)", location: $0.place,
                                             description: "Startgesprek over \($0.childFirstName) met de ouders.")
                      }
                      let today = SchoolDay(now, in: school.calendar)
                      for agreement in try tx.activeAgreements() where agreement.teacherID == teacherID && agreement.who != Agreement.Party.parents.rawValue {
                          let child = try tx.child(id: agreement.childID)?.firstName ?? agreement.childID
                          let days = (try? AgreedMoments.parse(agreement.moments, year: school.year).get())?.days(from: today, in: school.year) ?? []
                          for day in days {
                              let start = day.at(minuteOfDay: 8 * 60, in: school.calendar)
                              events.append(CalendarFile.Event(uid: "agreement-\(agreement.id ?? 0)-\(day)@samenspraak", start: start, end: start + 15 * 60,
                                                               summary: "Afspraak \(child): \(agreement.what)", location: school.name,
                                                               description: "Waarom: \(agreement.why). Hoe: \(agreement.how)."))
                          }
                      }
                      return CalendarFile.calendar(events.sorted { $0.start < $1.start }, now: now)
                  })
            else { throw ChatError(.notFound, "This calendar feed does not exist (any more); ask the school for a new link.") }
            return Response(status: .ok, headers: [.contentType: "text/calendar; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
