import Conversations
import Foundation
import Hummingbird
import SamenspraakCore
import Storage

/// The preference round: how many households answered, the proposal per group (each child's time and how the household
/// found it; who has no time and why), a talk pinned to another time or swapped with another, planning again, and
/// publishing once. The office does all of it; a teacher sees the proposal for their own groups.
extension StaffPages {
    @Sendable func round(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard service.school.booking.round == .preferenceRound else { return message(viewer, "no_round", status: .notFound) }
        guard !viewer.groups.isEmpty else { return forbidden(viewer) }
        return try await roundPage(viewer, notice: request.uri.queryParameters["done"].flatMap { viewer.t["msg_\($0)"] })
    }

    func roundPage(_ viewer: Viewer, notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let booking = service.school.booking
        let overview = try await service.roundOverview()
        let open = service.clock.now() < booking.closes
        let published = overview.round?.publishedAt != nil
        let editable = viewer.isOffice && overview.round != nil && !published
        let groups = service.school.groups.filter { viewer.groups.contains($0.id) }.compactMap { group -> [String: Any]? in
            guard let talks = overview.groups[group.id] else { return nil }
            return ["name": group.name, "talks": talks.map { roundRow($0, viewer, editable: editable) }]
        }
        let totals = overview.totals
        var values: [String: Any] = [
            "answered": viewer.text("round_answered", ["answered": "\(overview.answered)", "households": "\(overview.households)"]),
            "state": open ? viewer.text("round_open", ["closes": dayAndTime(booking.closes, viewer)])
                : published ? viewer.text("round_published", ["until": dayAndTime(booking.changesUntil ?? booking.closes, viewer)])
                : viewer.text(overview.round == nil ? "round_closed" : "round_planned"),
            "groups": groups, "planned": overview.round != nil, "notice": notice ?? "", "error": error ?? "",
            "canPlan": viewer.isOffice && !published, "canPublish": editable && !open,
            "planLabel": viewer.text(open ? "plan_preview" : overview.round == nil ? "plan_now" : "plan_again"),
        ]
        if overview.round != nil {
            values["totals"] = viewer.text("round_totals", ["placed": "\(totals.talks - totals.unplaced)", "talks": "\(totals.talks)", "good": "\(totals.good)",
                                                            "possible": "\(totals.possible)", "unanswered": "\(totals.unanswered)", "pinned": "\(totals.pinned)"])
        }
        try await audit(viewer, "view round", PlanningRound.id(service.school))
        return page("round", viewer, values, status: status)
    }

    func roundRow(_ talk: RoundOverview.Talk, _ viewer: Viewer, editable: Bool) -> [String: Any] {
        var row: [String: Any] = ["child": "\(talk.child.firstName) \(talk.child.lastName)", "scopeQuery": talk.planned.scope.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
                                  "editable": editable,
                                  "pinned": talk.planned.pinned, "reason": talk.planned.reason ?? ""]
        if let slot = talk.slot {
            row["time"] = dayAndTime(slot.startsAt, viewer)
            row["teacher"] = teacherName(slot.teacherID)
            row["level"] = viewer.text("level_\(talk.planned.level ?? "none")")
        }
        return row
    }

    /// One talk of the proposal: pin it to another time of its group's teachers, or swap it with another child's.
    @Sendable func roundTalk(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.isOffice else { return forbidden(viewer) }
        let scope = request.uri.queryParameters["scope"].map(String.init) ?? ""
        return try await roundTalkPage(scope, viewer)
    }

    func roundTalkPage(_ scope: String, _ viewer: Viewer, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let overview = try await service.roundOverview()
        guard let talk = overview.talk(scope: scope) else { return message(viewer, "not_found", status: .notFound) }
        let others = overview.groups[talk.child.groupID] ?? []
        let holders = Dictionary(others.compactMap { other in other.planned.slotID.map { ($0, other) } }) { first, _ in first }
        let earliest = service.clock.now() + BookingRules.minimumNotice
        let times = try await service.freeSlots(forChild: talk.child.id).filter { $0.startsAt >= earliest && $0.id != talk.planned.slotID }
            .map { slot -> [String: Any] in
                let holder = slot.id.flatMap { holders[$0] }.map { viewer.text("held_by", ["child": $0.child.firstName]) } ?? viewer.text("free")
                return ["id": slot.id ?? 0, "label": "\(dayAndTime(slot.startsAt, viewer)) – \(teacherName(slot.teacherID)) (\(holder))"]
            }
        let partners = others.filter { $0.planned.scope != scope }.compactMap { other in
            other.slot.map { ["scope": other.planned.scope, "label": "\(other.child.firstName) \(other.child.lastName) – \(dayAndTime($0.startsAt, viewer))"] }
        }
        var values: [String: Any] = ["title": viewer.text("talk_title", ["child": talk.child.firstName]), "scope": scope, "times": times, "hasTimes": !times.isEmpty,
                                     "partners": partners, "canSwap": talk.slot != nil && !partners.isEmpty, "error": error ?? "",
                                     "reason": talk.planned.reason ?? ""]
        if let slot = talk.slot {
            values["current"] = "\(dayAndTime(slot.startsAt, viewer)) – \(teacherName(slot.teacherID))"
        }
        return page("round_talk", viewer, values, status: status)
    }

    struct PlanForm: Decodable { var scope: String; var slot: Int64? }
    struct SwapForm: Decodable { var scope: String; var with: String? }
    struct PublishForm: Decodable { var confirm: String? }

    @Sendable func planRound(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.isOffice else { return forbidden(viewer) }
        let early = service.clock.now() < service.school.booking.closes
        return try await roundResult(try await service.proposeRound(by: viewer.account.email, early: early), viewer, done: "planned")
    }

    @Sendable func pinRoundTalk(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.isOffice else { return forbidden(viewer) }
        guard let form = try await form(PlanForm.self, request) else { return message(viewer, "not_found", status: .badRequest) }
        guard let slot = form.slot else { return try await roundTalkPage(form.scope, viewer, error: viewer.text("choose_time"), status: .badRequest) }
        return try await roundResult(try await service.pinTalks([(form.scope, slot)], by: viewer.account.email), viewer, done: "pinned", scope: form.scope)
    }

    @Sendable func swapRoundTalks(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.isOffice else { return forbidden(viewer) }
        guard let form = try await form(SwapForm.self, request) else { return message(viewer, "not_found", status: .badRequest) }
        let overview = try await service.roundOverview()
        guard let first = overview.talk(scope: form.scope), let second = form.with.flatMap(overview.talk(scope:)),
              let firstSlot = first.planned.slotID, let secondSlot = second.planned.slotID, first.child.groupID == second.child.groupID
        else { return try await roundTalkPage(form.scope, viewer, error: viewer.text("choose_child"), status: .badRequest) }
        let result = try await service.pinTalks([(first.planned.scope, secondSlot), (second.planned.scope, firstSlot)], by: viewer.account.email)
        return try await roundResult(result, viewer, done: "swapped", scope: form.scope)
    }

    @Sendable func publishRound(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.isOffice else { return forbidden(viewer) }
        guard try await form(PublishForm.self, request)?.confirm == "yes" else {
            return try await roundPage(viewer, error: viewer.text("confirm_publish"), status: .badRequest)
        }
        return try await roundResult(try await service.publishRound(by: viewer.account.email), viewer, done: "published")
    }

    /// Back to the round page after a change, or the reason it was refused (on the talk's page when it was about one talk).
    func roundResult<Success>(_ result: Result<Success, RoundProblem>, _ viewer: Viewer, done: String, scope: String? = nil) async throws -> Response {
        guard case .failure(let problem) = result else { return redirect("/staff/round?done=\(done)") }
        let key = switch problem {
        case .notAPreferenceRound: "no_round"
        case .stillOpen: "round_still_open"
        case .notPlanned: "round_not_planned"
        case .published: "round_already_published"
        case .unknownTalk: "not_found"
        case .notThisChildsTeacher: "round_not_teacher"
        }
        if let scope, problem == .notThisChildsTeacher { return try await roundTalkPage(scope, viewer, error: viewer.text(key), status: .conflict) }
        return try await roundPage(viewer, error: viewer.text(key), status: .conflict)
    }
}
