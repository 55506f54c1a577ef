import App
import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Testing
import TestSupport

/// The staff JSON API over real HTTP on 127.0.0.1: a bearer token, a clear reason for every refusal, and the
/// agreement's school days and parents' answers in what it returns.
@Suite struct StaffAPITests {
    static let token = "staff-token-for-tests-0123456789"

    func request(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, body: String? = nil,
                 token: String? = StaffAPITests.token) async throws -> (HTTPResponse.Status, Any?) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return (response.status, try? JSONSerialization.jsonObject(with: Data(buffer: response.body)))
    }

    func body(child: String, teacher: String, when: String = "week after report1", who: String = "teacher") -> String {
        """
        {"child": "\(child)", "teacher": "\(teacher)", "who": "\(who)", "what": "De ouders bellen", "why": "Bijzonderheden bespreken",
         "when": "\(when)", "how": "phone", "check_in": "Hoe gaat het thuis?"}
        """
    }

    @Test func agreementsAreRecordedChangedAndCancelledWithReasonsForEveryRefusal() async throws {
        let school = try TestSchool(staffToken: Self.token)
        let household = try school.household()
        let child = try #require(try school.runtime.database.readNow { try $0.children(household: household.id) }.first)
        let teacher = try #require(school.runtime.school.teachers(ofGroup: child.groupID).first)
        try await withLiveServer(school) { client in
            #expect(try await request(client, .get, "/api/agreements?child=\(child.id)", token: nil).0 == .unauthorized)
            #expect(try await request(client, .get, "/api/agreements?child=\(child.id)", token: "wrong").0 == .unauthorized)
            let (badJSON, badReason) = try await request(client, .post, "/api/agreements", body: "{not json")
            #expect(badJSON == .badRequest && ((badReason as? [String: String])?["error"]?.contains("'child', 'teacher'") == true))
            let (unknown, unknownReason) = try await request(client, .post, "/api/agreements", body: body(child: "nobody", teacher: teacher.id))
            #expect(unknown == .unprocessableContent && (unknownReason as? [String: String])?["error"] == "there is no child 'nobody' in the roster")
            let (badWhen, whenReason) = try await request(client, .post, "/api/agreements", body: body(child: child.id, teacher: teacher.id, when: "soon"))
            #expect(badWhen == .unprocessableContent && ((whenReason as? [String: String])?["error"]?.hasPrefix("'when': 'soon' is not a moment") == true))

            let (created, agreement) = try await request(client, .post, "/api/agreements", body: body(child: child.id, teacher: teacher.id))
            #expect(created == .created)
            let object = try #require(agreement as? [String: Any])
            let id = try #require(object["id"] as? Int)
            #expect(object["days"] as? [String] == ["2027-02-08"])
            #expect(object["when"] as? String == "week after report1" && object["check_in"] as? String == "Hoe gaat het thuis?")

            let (changed, after) = try await request(client, .put, "/api/agreements/\(id)", body: body(child: child.id, teacher: teacher.id, when: "early june; week after report2"))
            #expect(changed == .ok && (after as? [String: Any])?["days"] as? [String] == ["2027-06-01", "2027-06-14"])
            #expect(try await request(client, .put, "/api/agreements/999", body: body(child: child.id, teacher: teacher.id)).0 == .notFound)

            let (listed, list) = try await request(client, .get, "/api/agreements?child=\(child.id)")
            #expect(listed == .ok && (list as? [[String: Any]])?.count == 1)
            let audit = try school.runtime.database.readNow { try $0.auditLog(limit: 10) }
            #expect(audit.map(\.action).contains("read agreements") && audit.allSatisfy { $0.actor == "api" && $0.subject == "child \(child.id)" })
            #expect(try await request(client, .get, "/api/follow-ups/overdue").1 as? [Any] != nil)
            let coverage = try #require(try await request(client, .get, "/api/coverage").1 as? [[String: Any]])
            #expect(coverage.count == school.runtime.school.groups.count && coverage.allSatisfy { $0["not_booked"] as? Int == $0["children"] as? Int })
            #expect(try await request(client, .delete, "/api/agreements/\(id)").0 == .noContent)
            #expect(try await request(client, .delete, "/api/agreements/\(id)").0 == .notFound)
            #expect(try await request(client, .get, "/api/agreements/abc").0 == .badRequest)
        }
    }

    @Test func receptionsArePlannedMovedAndCancelledWithReasonsForEveryRefusal() async throws {
        let school = try TestSchool(staffToken: Self.token)
        try await withLiveServer(school) { client in
            func plan(_ json: String) async throws -> (HTTPResponse.Status, String?) {
                let (status, body) = try await request(client, .post, "/api/receptions", body: json)
                return (status, (body as? [String: Any])?["error"] as? String)
            }
            #expect(try await plan(#"{"group": "g9", "date": "2026-12-21", "from": "15:00", "to": "16:00"}"#) == (.unprocessableContent, "there is no group 'g9' in the school file"))
            #expect(try await plan(#"{"group": "g2", "date": "2026-12-21", "from": "16:00", "to": "15:00"}"#) == (.unprocessableContent, "the reception ends (15:00) before it starts (16:00)"))
            #expect(try await plan(#"{"group": "g2", "date": "2026-11-02", "from": "15:00", "to": "16:00"}"#) == (.unprocessableContent, "2026-11-02 15:00 is in the past"))
            #expect(try await plan(#"{"group": "g2"}"#).0 == .badRequest)

            let (created, body) = try await request(client, .post, "/api/receptions",
                                                    body: #"{"group": "g2", "date": "2026-12-21", "from": "15:00", "to": "16:00", "note": "Opa en oma zijn welkom"}"#)
            #expect(created == .created)
            let reception = try #require(body as? [String: Any])
            #expect(reception["id"] as? String == "g2-2026-12-21" && reception["place"] as? String == "Lokaal 2" && reception["not_answered"] as? Int == 24)
            #expect(try await plan(#"{"group": "g2", "date": "2026-12-21", "from": "15:00", "to": "16:00"}"#).1?.contains("move that one instead") == true)
            let invitations = try school.runtime.database.readNow { try $0.pendingJobs(keyPrefix: "reception:g2-2026-12-21:") }
            #expect(invitations.isEmpty)   // nobody of the group has a chat yet: nobody to invite

            let (moved, after) = try await request(client, .put, "/api/receptions/g2-2026-12-21", body: #"{"group": "g2", "date": "2026-12-22", "from": "15:00", "to": "15:45"}"#)
            #expect(moved == .ok && (after as? [String: Any])?["id"] as? String == "g2-2026-12-21")
            #expect(try await request(client, .put, "/api/receptions/nope", body: #"{"group": "g2", "date": "2026-12-22", "from": "15:00", "to": "15:45"}"#).0 == .notFound)
            #expect(try await request(client, .delete, "/api/receptions/g2-2026-12-21").0 == .noContent)
            #expect(try await request(client, .delete, "/api/receptions/g2-2026-12-21").0 == .notFound)
            let list = try #require(try await request(client, .get, "/api/receptions").1 as? [[String: Any]])
            #expect(list.first { $0["id"] as? String == "g2-2026-12-21" }?["cancelled"] as? Bool == true)
        }
    }

    @Test func withoutATokenTheAPIIsOff() async throws {
        let school = try TestSchool()
        try await withLiveServer(school) { client in
            let (status, reason) = try await request(client, .get, "/api/agreements?child=1001")
            #expect(status == .serviceUnavailable && ((reason as? [String: String])?["error"]?.contains("SAMENSPRAAK_STAFF_TOKEN") == true))
        }
    }
}
