import Conversations
import Foundation
import Hummingbird
import SamenspraakCore
import Storage

/// Agreements and overdue follow-ups, buddy requests, who could not be reached, and a family's data (export, erase).
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

    /// Parents who asked for a buddy or offered to be one (so far from the reception's question); matching is issue 7.
    @Sendable func buddies(_ request: Request, context: AppRequestContext, viewer: Viewer) async throws -> Response {
        guard viewer.seesCare else { return forbidden(viewer) }
        let school = service.school
        let rows = try await service.buddyRequests().filter { $0.interest != "no" }.map { request -> [String: Any] in
            ["household": request.household, "interest": viewer.text(request.interest),
             "languages": request.languages.map(service.localizer.languageName).joined(separator: ", "),
             "groups": request.groups.map { school.group($0)?.name ?? $0 }.joined(separator: ", ")]
        }
        try await audit(viewer, "view buddies", "")
        return page("buddies", viewer, ["requests": rows])
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
