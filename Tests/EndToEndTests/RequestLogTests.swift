@testable import App
import DataFiles
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SamenspraakCore
import Synchronization
import Testing
import TestSupport

/// Log lines of a request carry its id, a conversation step's also the conversation (the contact's id), and none
/// carries an invite code, a name or a phone number.
@Suite struct RequestLogTests {
    @Test func aWebChatMessageIsLoggedWithRequestAndConversationIdsAndNobodysDetails() async throws {
        let school = try TestSchool()
        let household = try school.household()
        let code = InviteCode.display(household.code)
        let guardians = try school.runtime.database.readNow { try $0.guardians(household: household.id) }
        let records = CapturedLog()
        let app = try buildApplication(school.runtime, logger: records.logger(label: "e2e", level: .debug), pollTimeout: .milliseconds(300))
        try await app.test(.live) { client in
            let browser = WebChatBrowser(client: client, code: code)
            try await browser.send(["start": true, "language": "nl"])
            try await browser.press("Nederlands")
        }
        let lines = records.all
        let steps = lines.filter { $0.message == "conversation step" }
        #expect(steps.count == 2)
        let contactID = try #require(try school.runtime.database.readNow { try $0.contacts(household: household.id) }.first?.id)
        for step in steps {
            #expect(step.metadata["conversation"] == "\(contactID)")
            #expect(step.metadata["hb.request.id"] != nil)
        }
        let requests = lines.filter { $0.message == "request" }
        #expect(requests.contains { $0.metadata["route"] == "/api/chat/{code}/messages" && $0.metadata["method"] == "POST" && $0.metadata["status"] == "202" })
        // A step's line and its request's line share the request id.
        let stepRequest = try #require(steps.first?.metadata["hb.request.id"])
        #expect(requests.contains { $0.metadata["hb.request.id"] == stepRequest })
        for line in lines {
            for secret in [code, household.code] + guardians.flatMap({ [$0.name, $0.phone] }) {
                #expect(!line.text.contains(secret), "\(secret) logged in \(line.text)")
            }
        }
    }
}

/// LOG_LEVEL and LOG_FORMAT: checked like every setting, and `json` writes one object per line.
@Suite struct LogSetupTests {
    @Test func wrongLevelsAndFormatsAreRefusedWithWhatIsAllowed() {
        #expect(throws: FileIssues.self) { try LogSetup.logger(environment: ["LOG_LEVEL": "verbose"]) }
        do {
            _ = try LogSetup.logger(environment: ["LOG_LEVEL": "verbose", "LOG_FORMAT": "xml"])
        } catch {
            #expect(error.description == """
                LOG_LEVEL: must be one of trace, debug, info, notice, warning, error, critical, not "verbose"
                LOG_FORMAT: must be text or json, not "xml"
                """)
        }
        #expect((try? LogSetup.logger(environment: ["LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json"]))?.logLevel == .debug)
    }

    @Test func jsonLinesCarryTheMetadataAsFields() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "samenspraak") { label in
            JSONLogHandler(label: label, write: { line in lines.withLock { $0.append(line) } })
        }
        logger[metadataKey: "hb.request.id"] = "abc123"
        logger.info("conversation step", metadata: ["conversation": "42", "replies": .stringConvertible(2)])
        let line = try #require(lines.withLock { $0.first })
        #expect(!line.contains("\n"))
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(fields["message"] == "conversation step" && fields["level"] == "info" && fields["label"] == "samenspraak")
        #expect(fields["hb.request.id"] == "abc123" && fields["conversation"] == "42" && fields["replies"] == "2")
        #expect(try Date(try #require(fields["time"]), strategy: .iso8601).timeIntervalSinceNow > -60)
    }
}
