import Conversations
import Foundation
import Hummingbird
import SamenspraakCore
import Storage

/// Agreements and overdue follow-ups, buddies, who could not be reached, and a family's data (export, erase).
extension StaffPages {
    /// The communicatieplannen: each agreement with what the parents said of it, and what is overdue. Teachers see their
    /// own groups; the office and the care coordinator all.
    @Sendable func agreements(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.seesCare || viewer.teacherID != nil else { return forbidden(viewer) }
        let school = service.school
        let visible = { (group: String) in viewer.seesCare || viewer.groups.contains(group) }
        let (agreements, overdue) = try await service.agreementOverview()
        let language = viewer.t["lang"] ?? "nl"
        let rows = agreements.filter { visible($0.groupID) }.map { item -> [String: Any] in
            let agreement = item.agreement
            let said = item.responses.map { $0.matches ? viewer.text("confirmed") : viewer.text("disputed") + ($0.comment.map { ": \($0)" } ?? "") }
            return ["child": item.childName, "group": school.group(item.groupID)?.name ?? item.groupID,
                    "teacher": teacherName(agreement.teacherID),
                    "who": service.localizer.text("agreement.who_\(agreement.who)", language: language), "what": agreement.what, "why": agreement.why,
                    "when": service.agreedMoments(agreement.moments, language: language), "how": service.localizer.text("agreement.how_\(agreement.how)", language: language),
                    "parents": said.isEmpty ? viewer.text("no_answer") : said.joined(separator: "; ")]
        }
        let late = overdue.filter { visible($0.groupID) }.map { item -> [String: Any] in
            ["day": service.localizer.format(SchoolDay(item.followUp.day).map { MessageValue.day($0, in: school.calendar) } ?? .text(item.followUp.day),
                                             language: language),
             "child": item.childName, "group": school.group(item.groupID)?.name ?? item.groupID,
             "teacher": teacherName(item.agreement.teacherID), "what": item.agreement.what]
        }
        try await audit(viewer, "view agreements", "")
        return page("agreements", viewer, ["agreements": rows, "overdue": late])
    }

    /// The care coordinator's view of the buddies: open requests (with why nobody fits yet), pairs with their check-ins,
    /// the volunteers, what parents said after the reception, and a form to suggest a buddy to a family.
    @Sendable func buddies(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        try await buddiesPage(viewer, notice: request.uri.queryParameters["done"].flatMap { viewer.t["msg_\($0)"] } ?? "")
    }

    func buddiesPage(_ viewer: Viewer, notice: String = "", error: String = "", status: HTTPResponse.Status = .ok) async throws -> Response {
        guard viewer.seesCare else { return forbidden(viewer) }
        let school = service.school
        let names = { (codes: [String]) in codes.map(self.service.localizer.languageName).joined(separator: ", ") }
        let groups = { (ids: [String]) in ids.map { school.group($0)?.name ?? $0 }.joined(separator: ", ") }
        let situation = { (code: String) in viewer.text("situation_\(code)") }
        let overview = try await service.buddyOverview()
        let needs = overview.needs.map { need -> [String: Any] in
            var status = viewer.text("need_\(need.status)")
            if need.status == "searching", let unmatched = need.unmatched {
                let parts = unmatched.split(separator: ":", maxSplits: 1).map(String.init)
                status += ": " + viewer.text("unmatched_\(parts[0])", ["languages": parts.count == 2 ? names(parts[1].split(separator: ",").map(String.init)) : ""])
            }
            return ["household": need.household, "groups": groups(need.groups), "languages": names(need.languages), "situation": situation(need.situation),
                    "since": dayAndTime(need.since, viewer),
                    "source": need.source == "parent" ? viewer.text("source_parent")
                        : need.source.hasPrefix("teacher:") ? teacherName(String(need.source.dropFirst("teacher:".count))) : viewer.text("source_staff"),
                    "status": status]
        }
        let pairs = overview.pairs.map { pair -> [String: Any] in
            ["parent": pair.parent, "buddy": pair.buddy, "language": service.localizer.languageName(pair.language),
             "state": viewer.text("pair_\(pair.state)"), "since": dayAndTime(pair.since, viewer),
             "checkIns": pair.checkIns.map { viewer.text("check_in_\($0)") }.joined(separator: ", ")]
        }
        let volunteers = overview.volunteers.map { volunteer -> [String: Any] in
            ["household": volunteer.household, "languages": names(volunteer.languages),
             "situations": volunteer.situations.map(situation).joined(separator: ", "),
             "load": "\(volunteer.active) / \(volunteer.capacity)" + (volunteer.paused ? " (" + viewer.text("paused") + ")" : "")]
        }
        let interests = try await service.buddyRequests().filter { $0.interest != "no" }.map { request -> [String: Any] in
            ["household": request.household, "interest": viewer.text(request.interest), "languages": names(request.languages), "groups": groups(request.groups)]
        }
        try await audit(viewer, "view buddies", "")
        return page("buddies", viewer, ["needs": needs, "pairs": pairs, "volunteers": volunteers, "requests": interests, "notice": notice, "error": error,
                                        "situations": BuddySituation.allCases.map { ["id": $0.rawValue, "label": situation($0.rawValue)] }],
                    status: status)
    }

    /// The care coordinator suggests a buddy to a family (after the startgesprek): the parent is asked in their language.
    @Sendable func flagBuddyNeed(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        struct FlagForm: Decodable { var household: String; var situation: String }
        guard viewer.seesCare else { return forbidden(viewer) }
        guard let form = try await form(FlagForm.self, request) else { return try await buddiesPage(viewer, error: viewer.text("flag_incomplete"), status: .badRequest) }
        let key = form.household.trimmingCharacters(in: .whitespaces)
        let outcome = try await service.flagBuddyNeed(household: key, situation: form.situation, source: "staff:\(viewer.account.email)")
        switch outcome {
        case .asked:
            try await audit(viewer, "flag buddy need", "household \(key)")
            return redirect("/staff/buddies?done=flagged")
        case .noSuchHousehold: return try await buddiesPage(viewer, error: viewer.text("no_household"), status: .notFound)
        case .alreadyOpen: return try await buddiesPage(viewer, error: viewer.text("flag_already"), status: .conflict)
        case .unreachable: return try await buddiesPage(viewer, error: viewer.text("flag_unreachable"), status: .unprocessableContent)
        case .unknownSituation: return try await buddiesPage(viewer, error: viewer.text("flag_incomplete"), status: .badRequest)
        }
    }

    /// Contacts who blocked the chat and messages given up on, with the reason: for the office to reach them otherwise.
    @Sendable func deliveries(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.isOffice else { return forbidden(viewer) }
        let (failed, unreachable, unread) = try await service.database.read { tx in
            (try tx.failedDeliveries(), try tx.unreachableContacts(), try tx.unreadWebChatReplies())
        }
        try await audit(viewer, "view deliveries", "")
        return page("deliveries", viewer, [
            "unreachable": unreachable.map { ["household": $0.household, "channel": $0.channel, "since": dayAndTime($0.since, viewer)] as [String: Any] },
            "unread": unread.map { ["household": $0.household, "count": $0.count, "latest": dayAndTime($0.latest, viewer)] as [String: Any] },
            "failed": failed.map { ["household": $0.household, "channel": $0.channel, "at": dayAndTime($0.createdAt, viewer), "attempts": $0.attempts, "reason": $0.reason] as [String: Any] },
        ])
    }

    /// The office looks a family up by its roster key: children, chats, and the family's rights (export, erase).
    @Sendable func household(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.isOffice else { return forbidden(viewer) }
        let notice = request.uri.queryParameters["done"].flatMap { viewer.t["msg_\($0)"] } ?? ""
        guard let key = request.uri.queryParameters["key"].map({ String($0).trimmingCharacters(in: .whitespaces) }), !key.isEmpty else {
            return page("household", viewer, ["notice": notice])
        }
        let found = try await service.database.read { tx -> (children: [ChildRecord], contacts: [ContactRecord])? in
            guard let id = try tx.household(key: key)?.id else { return nil }
            return (try tx.children(household: id), try tx.contacts(household: id))
        }
        guard let found else { return page("household", viewer, ["key": key, "error": viewer.text("no_household")], status: .notFound) }
        try await audit(viewer, "view household", "household \(key)")
        let school = service.school
        return page("household", viewer, [
            "key": key, "title": viewer.text("household_title", ["household": key]), "notice": notice,
            "found": [
                "children": found.children.map { ["name": "\($0.firstName) \($0.lastName)", "group": school.group($0.groupID)?.name ?? $0.groupID] },
                "contacts": found.contacts.map { ["channel": $0.channel, "language": $0.language.map(service.localizer.languageName) ?? "–"] },
            ] as [String: Any],
        ])
    }

    @Sendable func export(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.isOffice else { return forbidden(viewer) }
        let key = context.parameters.get("household") ?? ""
        guard let data = try await service.exportHousehold(key: key, by: viewer.account.email) else {
            return message(viewer, "no_household", status: .notFound)
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store",
                                               .contentDisposition: "attachment; filename=\"samenspraak-\(key).json\""],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct EraseForm: Decodable { var confirm: String }

    @Sendable func erase(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.isOffice else { return forbidden(viewer) }
        let key = context.parameters.get("household") ?? ""
        guard try await form(EraseForm.self, request)?.confirm == "yes" else {
            return page("household", viewer, ["key": key, "error": viewer.text("confirm_first")], status: .badRequest)
        }
        guard try await service.eraseHousehold(key: key, by: viewer.account.email) != nil else {
            return message(viewer, "no_household", status: .notFound)
        }
        return redirect("/staff/households?done=erased")
    }
}
