import App
import Foundation
import HTTPServer
import Hummingbird
import HummingbirdTesting
import SamenspraakCore
import Storage
import Testing
import TestSupport

/// /healthz and /metrics over real HTTP, as a monitoring system polls them.
@Suite struct OperationsHTTPTests {
    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test func healthReportsTheDatabaseChannelsOutboxAndSchedulerLag() async throws {
        let school = try TestSchool()
        let code = InviteCode.display(try school.household().code)
        try await withLiveServer(school) { client in
            let first = try await client.execute(uri: "/healthz", method: .get)
            #expect(first.status == .ok)
            #expect(first.headers[.contentType] == "application/json; charset=utf-8")
            let health = try json(first)
            #expect(health["status"] as? String == "ok")
            let database = try #require(health["database"] as? [String: Any])
            #expect(database["reachable"] as? Bool == true)
            #expect((database["readMilliseconds"] as? Double ?? -1) >= 0)
            let channels = try #require(health["channels"] as? [String: Any])
            #expect((channels["webchat"] as? [String: Any])?["lastRequest"] is NSNull, "no web chat request yet")
            #expect(channels["telegram"] == nil, "no bot configured")
            #expect((health["outbox"] as? [String: Any])?["pending"] as? Int == 0)
            #expect((health["scheduler"] as? [String: Any])?["lagSeconds"] as? Double == 0)

            // A parent opens the chat; replies wait in the outbox until the browser fetches them.
            let event = InboundEvent(channel: .webchat, address: "browser-health1", platformMessageID: "browser-health1:start", content: .text(""))
            _ = try await school.runtime.service.handle(event, inviteCode: code)
            try await WebChatBrowser(client: client, code: code).send(["start": true, "language": "nl"])
            // Jobs planned and the clock past the first one, which has not run (no scheduler here): that is the lag.
            try await school.runtime.service.planSchoolJobs()
            let firstDue = try #require(try school.runtime.database.readNow { try $0.nextJobDue() })
            school.clock.set(firstDue.addingTimeInterval(90))

            let later = try json(try await client.execute(uri: "/healthz", method: .get))
            let webchat = try #require((later["channels"] as? [String: Any])?["webchat"] as? [String: Any])
            let lastRequest = try #require(webchat["lastRequest"] as? String)
            #expect(try Date(lastRequest, strategy: .iso8601).timeIntervalSinceNow > -60)
            let pending = try school.runtime.database.readNow { try $0.pendingOutboxCounts() }["webchat"] ?? 0
            #expect(pending > 0, "the first welcome was never fetched")
            let outbox = try #require(later["outbox"] as? [String: Any])
            #expect(outbox["pending"] as? Int == pending)
            #expect((outbox["pendingByChannel"] as? [String: Int]) == ["webchat": pending])
            let lag = try #require((later["scheduler"] as? [String: Any])?["lagSeconds"] as? Double)
            #expect(abs(lag - 90) < 0.01)
        }
    }

    @Test func healthIs503WhenTheDatabaseCannotBeRead() async throws {
        let school = try TestSchool()
        try await withLiveServer(school) { client in
            try school.runtime.database.close()
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .serviceUnavailable)
            let health = try json(response)
            #expect(health["status"] as? String == "unavailable")
            #expect((health["database"] as? [String: Any])?["reachable"] as? Bool == false)
            #expect(health["outbox"] == nil)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("samenspraak_database_reachable 0"))
        }
    }

    @Test func metricsCountAWebChatConversationAndNameNobody() async throws {
        let school = try TestSchool()
        let household = try school.household()
        let code = InviteCode.display(household.code)
        let guardians = try school.runtime.database.readNow { try $0.guardians(household: household.id) }
        let other = try TestSchool(households: 5)
        try await withLiveServer(school) { client in
            let browser = WebChatBrowser(client: client, code: code)
            try await browser.send(["start": true, "language": "nl"])
            try await browser.press("Nederlands")
            try await browser.press("Gesprek plannen")
            try await browser.pressFirst()

            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: response.body)
            #expect(text.contains(#"samenspraak_messages_received_total{channel="webchat"} 4"#))
            let sent = try #require(text.firstMatch(of: /samenspraak_messages_sent_total\{channel="webchat"\} (\d+)/))
            #expect(Int(sent.1)! >= 4, "every reply the browser fetched")
            #expect(text.contains(#"samenspraak_outbox_pending{channel="telegram"} 0"#))
            #expect(text.contains(#"samenspraak_send_failures_total{channel="telegram",reason="rate_limited"} 0"#))
            #expect(text.contains("samenspraak_scheduler_lag_seconds 0"))
            #expect(text.contains("samenspraak_database_reachable 1"))
            #expect(text.contains("samenspraak_step_duration_seconds_count 4"))
            #expect(text.contains(#"samenspraak_step_duration_seconds_bucket{le="0.001"}"#))
            // Labels are channels and reasons: no invite code, client id, name or phone number.
            #expect(!text.contains("browser-"), "a web chat client id in /metrics")
            for secret in [code, household.code] + guardians.flatMap({ [$0.name, $0.phone] }) {
                #expect(!text.contains(secret), "\(secret) in /metrics")
            }
        }
        // Another runtime in the same process has metrics of its own (no process-wide registry to clash in).
        try await withLiveServer(other) { client in
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains(#"samenspraak_messages_received_total{channel="webchat"} 0"#))
        }
    }

    @Test func webChatRepliesNoBrowserFetchesExpireAfterAWeekAndGoWithThePurgeWhileATelegramMessageInFlightStays() async throws {
        let school = try TestSchool()
        let database = school.runtime.database
        let codes = try database.readNow { try $0.households().prefix(2).map { InviteCode.display($0.inviteCode) } }
        let keys = try database.readNow { try $0.households().prefix(2).map(\.key) }
        _ = try StaffPages.saveAccount(email: "office@school.nl", name: "Ans", role: "office", teacherID: nil, password: "office-pass", database: database, cost: 4)
        let day: TimeInterval = 24 * 3600
        @Sendable func purge() async throws -> MessageCounts {
            let now = school.clock.now()
            return try await MessagePurge.run(database: database, before: Retention.days(30).cutoff(now: now, school: school.runtime.school), actor: "test", now: now)
        }
        @Sendable func statuses(_ address: String) throws -> [String] {
            try database.readNow { try $0.outbox(channel: "webchat", address: address, after: 0) }.map(\.status)
        }
        try await withLiveServer(school) { client in
            // Two parents open the chat and close the page before their replies are fetched.
            for (code, address) in zip(codes, ["browser-closed1", "browser-closed2"]) {
                let body = try JSONSerialization.data(withJSONObject: ["client": address, "id": "start-0001", "start": true, "language": "nl"])
                let response = try await client.execute(uri: "/api/chat/\(code)/messages", method: .post, headers: [.contentType: "application/json"],
                                                        body: ByteBuffer(bytes: body))
                #expect(response.status == .accepted)
            }
            // A Telegram message waiting to be sent, as old: still in flight, so never expired nor deleted.
            let contact = try #require(try database.readNow { try $0.contact(channel: "webchat", address: "browser-closed1") }?.id)
            _ = try await database.write { try $0.enqueue(contactID: contact, channel: "telegram", address: "42", payload: "{}", at: school.clock.now()) }
            let unfetched = try statuses("browser-closed1").count
            let total = try database.readNow { try $0.pendingOutboxCounts() }["webchat"] ?? 0
            let other = try statuses("browser-closed2").count
            #expect(unfetched > 0 && total == unfetched + other)

            // Six days on the page may still be opened: they wait.
            school.clock.advance(by: 6 * day)
            #expect(try await purge() == MessageCounts())
            #expect(try database.readNow { try $0.pendingOutboxCounts() } == ["webchat": total, "telegram": 1])

            // Eight days: given up on with the reason, no longer outbox depth on /healthz and /metrics, and audited.
            school.clock.advance(by: 2 * day)
            let now = school.clock.now()
            let wouldPurge = try database.readNow { try $0.purgeableMessages(before: now, unfetchedBefore: MessagePurge.unfetchedCutoff(now: now)) }
            #expect(wouldPurge.outbox == total && wouldPurge.expired == total, "a purge with its cutoff now would expire them and delete them")
            #expect(try await purge() == MessageCounts(expired: total))
            #expect(try statuses("browser-closed1").allSatisfy { $0 == "expired" })
            #expect(try database.readNow { try $0.outbox(channel: "webchat", address: "browser-closed2", after: 0) }.map(\.lastError)
                    .allSatisfy { $0 == "expired: the web chat page did not fetch it within 7 days" })
            let health = try json(try await client.execute(uri: "/healthz", method: .get))
            let outbox = try #require(health["outbox"] as? [String: Any])
            #expect(outbox["pending"] as? Int == 1 && (outbox["pendingByChannel"] as? [String: Int]) == ["telegram": 1])
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"samenspraak_outbox_pending{channel="webchat"} 0"#) && metrics.contains(#"samenspraak_outbox_pending{channel="telegram"} 1"#))
            #expect(try database.readNow { try $0.auditLog(limit: 10) }.contains { $0.subject.hasSuffix("; \(total) web chat replies never fetched expired") })
            // The office sees both families under "not read in the web chat", to reach them another way.
            let office = try await client.staffSession("office@school.nl", "office-pass")
            func unread() async throws -> String {
                let page = try await client.staffGet("/staff/deliveries", office)
                return String(try #require(page.html.components(separatedBy: "Niet gelezen in de webchat").last))
            }
            var listed = try await unread()
            #expect(keys.allSatisfy { listed.contains(#"<a href="/staff/households?key=\#($0)">"#) } && listed.contains("<td>\(unfetched)</td>"))

            // The first parent opens the page again: it still shows the replies, which now count as delivered.
            let polled = try await client.execute(uri: "/api/chat/\(codes[0])/messages?client=browser-closed1&after=0", method: .get)
            let messages = (try JSONSerialization.jsonObject(with: Data(buffer: polled.body)) as? [String: Any])?["messages"] as? [Any]
            #expect(messages?.count == unfetched)
            #expect(try statuses("browser-closed1").allSatisfy { $0 == "sent" })
            listed = try await unread()
            #expect(!listed.contains(#"key=\#(keys[0])""#) && listed.contains(#"key=\#(keys[1])""#))

            // Past the retention period both parents' replies go; the Telegram message still in flight stays.
            school.clock.advance(by: 30 * day)
            #expect(try await purge() == MessageCounts(inbox: 2, outbox: total), "the two openings and every reply")
            #expect(try statuses("browser-closed1").isEmpty)
            #expect(try statuses("browser-closed2").isEmpty)
            #expect(try database.readNow { try $0.pendingOutboxCounts() } == ["telegram": 1])
        }
    }

    @Test func withAMetricsTokenMetricsNeedItAndHealthShowsOnlyItsStatusWithoutIt() async throws {
        let token = "metrics-0f3c9a7e51d2"
        let school = try TestSchool(metricsToken: token)
        try await withLiveServer(school) { client in
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong-token"], [.authorization: token], [.authorization: "Bearer \(token)x"]] {
                let refused = try await client.execute(uri: "/metrics", method: .get, headers: headers)
                #expect(refused.status == .unauthorized)
                #expect(refused.headers[.wwwAuthenticate] == #"Bearer realm="samenspraak""#)
                #expect(try json(refused)["error"] as? String == "Send the metrics token as 'Authorization: Bearer <token>' (SAMENSPRAAK_METRICS_TOKEN).")
                // Anyone may ask whether the daemon is well, no more.
                let health = try await client.execute(uri: "/healthz", method: .get, headers: headers)
                #expect(health.status == .ok)
                #expect(try json(health).keys.sorted() == ["status"] && (try json(health)["status"] as? String) == "ok")
            }
            let authorised: HTTPFields = [.authorization: "Bearer \(token)"]
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: authorised)
            #expect(metrics.status == .ok && String(buffer: metrics.body).contains("samenspraak_database_reachable 1"))
            let details = try json(try await client.execute(uri: "/healthz", method: .get, headers: authorised))
            #expect(details.keys.sorted() == ["channels", "database", "outbox", "scheduler", "status"])

            try school.runtime.database.close()
            let failing = try await client.execute(uri: "/healthz", method: .get)
            #expect(failing.status == .serviceUnavailable)
            #expect(try json(failing).keys.sorted() == ["status"] && (try json(failing)["status"] as? String) == "unavailable")
            let failingDetails = try json(try await client.execute(uri: "/healthz", method: .get, headers: authorised))
            #expect((failingDetails["database"] as? [String: Any])?["reachable"] as? Bool == false)
        }
    }
}
