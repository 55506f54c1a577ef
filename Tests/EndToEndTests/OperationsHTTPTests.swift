import App
import Foundation
import Hummingbird
import HummingbirdTesting
import SamenspraakCore
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
}
