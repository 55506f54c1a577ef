import Conversations
import Foundation
import Hummingbird
import SamenspraakCore
import Storage

/// The startgesprekken: coverage per group with a reminder for who has not booked, a group's children and talks,
/// one talk with its preparation (moved or cancelled on behalf of the parents), and a teacher's day.
extension StaffPages {
    @Sendable func coverage(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        // A preference round has its own two reminders; staff add none.
        let open = service.school.booking.round == .firstCome && service.clock.now() < service.school.booking.closes
        // Care coordinators see the counts (no names) of every group.
        let visible = viewer.account.role == "care" ? Set(service.school.groups.map(\.id)) : viewer.groups
        let rows = try await service.coverage().filter { visible.contains($0.group) }.map { row -> [String: Any] in
            ["id": row.group, "name": row.name, "children": row.children, "booked": row.booked, "held": row.held, "notBooked": row.notBooked,
             "overdue": row.overdueFollowUps, "link": viewer.groups.contains(row.group), "nudge": viewer.isOffice && open && row.notBooked > 0]
        }
        let notice = request.uri.queryParameters["done"].flatMap { viewer.t["msg_\($0)"] }
        return page("coverage", viewer, ["groups": rows, "notice": notice ?? ""])
    }

    @Sendable func nudge(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.isOffice else { return forbidden(viewer) }
        switch try await service.nudge(group: context.parameters.get("group") ?? "", by: viewer.account.email) {
        case .success: return redirect("/staff?done=nudged")
        case .failure(let problem) where problem.kind == .notFound: return message(viewer, "not_found", status: .notFound)
        case .failure: return message(viewer, "booking_closed", status: .conflict)
        }
    }

    /// A group's children: the talk planned (or not), whether the parents prepared it, a link to change it.
    @Sendable func group(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        let id = context.parameters.get("group") ?? ""
        guard let group = service.school.group(id) else { return message(viewer, "not_found", status: .notFound) }
        guard viewer.groups.contains(id) else { return forbidden(viewer) }
        let children = try await service.groupTalks(id).map { row -> [String: Any] in
            var values: [String: Any] = ["name": "\(row.child.firstName) \(row.child.lastName)", "households": row.households.joined(separator: ", "),
                                         "answered": row.answered]
            if let talk = row.talk {
                let (day, time) = moment(talk.startsAt, viewer)
                values["talk"] = ["id": talk.bookingID, "day": day, "time": time, "teacher": teacherName(talk.teacherID)]
            }
            return values
        }
        try await audit(viewer, "view group", "group \(id)")
        let notice = request.uri.queryParameters["done"].flatMap { viewer.t["msg_\($0)"] }
        return page("group", viewer, ["group": group.name, "children": children, "notice": notice ?? ""])
    }

    /// One talk: when and where, the parents' preparation, and the forms to move or cancel it.
    @Sendable func talk(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard let id = context.parameters.get("talk", as: Int64.self), let talk = try await service.talkPreparation(id) else {
            return message(viewer, "not_found", status: .notFound)
        }
        guard viewer.groups.contains(talk.groupID) else { return forbidden(viewer) }
        try await audit(viewer, "view talk", "booking \(id)")
        return try await talkPage(talk, viewer)
    }

    func talkPage(_ prepared: TalkPreparation, _ viewer: Viewer, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let talk = prepared.talk
        let (day, time) = moment(talk.startsAt, viewer)
        let free = try await service.freeSlots(forChild: talk.childID).map { slot -> [String: Any] in
            ["id": slot.id ?? 0, "label": "\(dayAndTime(slot.startsAt, viewer)) – \(teacherName(slot.teacherID)) (\(slot.place))"]
        }
        return page("talk", viewer, [
            "title": viewer.text("talk_title", ["child": talk.childFirstName]), "id": talk.bookingID, "day": day, "time": time,
            "teacher": teacherName(talk.teacherID), "place": talk.place, "groupID": prepared.groupID,
            "answers": answerRows(prepared, viewer), "free": free, "hasFree": !free.isEmpty, "error": error ?? "",
        ], status: status)
    }

    /// Each attending household's answers, question by question, in the page's language.
    func answerRows(_ prepared: TalkPreparation, _ viewer: Viewer) -> [[String: Any]] {
        prepared.answers.map { answers in
            ["items": ["thing1", "thing2", "wish"].map { ["question": viewer.text($0), "answer": answers[$0] ?? "–"] }]
        }
    }

    struct MoveForm: Decodable { var slot: Int64 }
    struct CancelForm: Decodable { var confirm: String }

    @Sendable func move(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        try await change(request, context, viewer) { id, prepared in
            guard let form = try await self.form(MoveForm.self, request) else {
                return try await talkPage(prepared, viewer, error: viewer.text("choose_time"), status: .badRequest)
            }
            switch try await service.moveBooking(id, toSlot: form.slot, by: viewer.account.email) {
            case .success: return redirect("/staff/groups/\(prepared.groupID)?done=moved")
            case .failure(let problem): return try await talkPage(prepared, viewer, error: problem.description, status: .conflict)
            }
        }
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        try await change(request, context, viewer) { id, prepared in
            guard try await self.form(CancelForm.self, request)?.confirm == "yes" else {
                return try await talkPage(prepared, viewer, error: viewer.text("confirm_first"), status: .badRequest)
            }
            switch try await service.cancelBooking(id, by: viewer.account.email) {
            case .success: return redirect("/staff/groups/\(prepared.groupID)?done=cancelled")
            case .failure: return message(viewer, "not_found", status: .notFound)
            }
        }
    }

    /// A change to a planned talk by someone who may see its group (the office, the group's teacher).
    func change(_ request: Request, _ context: AppRequestContext, _ viewer: Viewer,
                _ body: (Int64, TalkPreparation) async throws -> Response) async throws -> Response {
        guard let id = context.parameters.get("talk", as: Int64.self), let prepared = try await service.talkPreparation(id) else {
            return message(viewer, "not_found", status: .notFound)
        }
        guard viewer.groups.contains(prepared.groupID) else { return forbidden(viewer) }
        return try await body(id, prepared)
    }

    /// A teacher's talks of one day with the preparation: the grid to work from on the day itself.
    @Sendable func agenda(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        let school = service.school
        let teachers = school.teachers.filter { teacher in viewer.groups.contains { school.teachers(ofGroup: $0).contains(teacher) } }
        guard !teachers.isEmpty else { return forbidden(viewer) }
        let query = request.uri.queryParameters
        let chosen = query["teacher"].map(String.init) ?? viewer.teacherID ?? teachers[0].id
        guard let teacher = teachers.first(where: { $0.id == chosen }) else { return forbidden(viewer) }
        // The days this teacher has time for talks; today's (or the next one) unless another is asked for.
        let days = Array(Set(teacher.availability.map { SchoolDay($0.start, in: school.calendar) })).sorted()
        let today = SchoolDay(service.clock.now(), in: school.calendar)
        guard let day = query["day"].flatMap({ SchoolDay(String($0)) }) ?? days.first(where: { !($0 < today) }) ?? days.last else {
            return page("agenda", viewer, ["teachers": [], "days": [], "talks": []])
        }
        let talks = try await service.dayTalks(teacher: teacher.id, day: day.at(minuteOfDay: 12 * 60, in: school.calendar)).map { prepared -> [String: Any] in
            let talk = prepared.talk
            return ["id": talk.bookingID, "time": moment(talk.startsAt, viewer).time, "child": talk.childFirstName,
                    "group": school.group(prepared.groupID)?.name ?? prepared.groupID, "place": talk.place,
                    "answers": answerRows(prepared, viewer), "changeable": viewer.groups.contains(prepared.groupID)]
        }
        try await audit(viewer, "view agenda", "teacher \(teacher.id) \(day)")
        let label = { (day: SchoolDay) in service.localizer.format(MessageValue.day(day, in: school.calendar), language: viewer.t["lang"] ?? "nl") }
        return page("agenda", viewer, [
            "teachers": teachers.map { ["id": $0.id, "name": $0.name, "selected": $0.id == teacher.id] },
            "days": days.map { ["value": $0.description, "label": label($0), "selected": $0 == day] },
            "dayLabel": label(day), "teacherName": teacher.name, "talks": talks,
        ])
    }

    /// Looking at parents' data is written to the audit log.
    func audit(_ viewer: Viewer, _ action: String, _ subject: String) async throws {
        let now = service.clock.now()
        try await service.database.write { try $0.audit(actor: viewer.account.email, action: action, subject: subject, at: now) }
    }
}
