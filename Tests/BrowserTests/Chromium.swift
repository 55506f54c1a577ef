import Foundation
import HummingbirdWSClient
import Logging

/// Headless Chromium (Debian's `chromium`) driven over the DevTools protocol: one browser per test, one page, on
/// 127.0.0.1 only, killed when the test ends.
struct Chromium {
    static let executable = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    /// `.ci/run` sets this so a missing browser fails CI instead of skipping the tests.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["SAMENSPRAAK_BROWSER_TESTS"] == "required" }

    enum Failure: Error, CustomStringConvertible {
        case notStarted(String), closed, protocolError(String), scriptError(String), timedOut(String)
        var description: String {
            switch self {
            case .notStarted(let why): "Chromium did not start: \(why)"
            case .closed: "the DevTools connection closed"
            case .protocolError(let message): "DevTools: \(message)"
            case .scriptError(let message): "the page's script failed: \(message)"
            case .timedOut(let what): "timed out waiting for: \(what)"
            }
        }
    }

    /// Starts Chromium with a phone-sized window, opens a page and runs `body` with it.
    static func withPage(width: Int = 390, height: Int = 844, _ body: @escaping @Sendable (DevToolsPage) async throws -> Void) async throws {
        guard let executable else { throw Failure.notStarted("no chromium executable") }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("samenspraak-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // The WebSocket client sends "Origin: ws://127.0.0.1", which Chromium refuses unless allowed.
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=ws://127.0.0.1",
                             "--user-data-dir=\(profile.path)", "--window-size=\(width),\(height)", "about:blank"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }

        // Chromium writes its port and the browser's WebSocket path into the profile once it listens.
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        let deadline = Date() + 30
        var lines: [Substring] = []
        while lines.count < 2 {
            guard Date() < deadline, process.isRunning else { throw Failure.notStarted("no DevToolsActivePort after 30 s") }
            try await Task.sleep(for: .milliseconds(100))
            lines = ((try? String(contentsOf: portFile, encoding: .utf8)) ?? "").split(separator: "\n")
        }
        let url = "ws://127.0.0.1:\(lines[0])\(lines[1])"
        var logger = Logger(label: "chromium")
        logger.logLevel = .critical
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 24), logger: logger) { inbound, outbound, _ in
            let browser = DevToolsPage(messages: inbound.messages(maxSize: 1 << 24).makeAsyncIterator(), outbound: outbound)
            let target = try await browser.send("Target.createTarget", ["url": "about:blank"])
            let attached = try await browser.send("Target.attachToTarget", ["targetId": target["targetId"] as? String ?? "", "flatten": true])
            browser.sessionID = attached["sessionId"] as? String
            _ = try await browser.send("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 2, "mobile": true])
            try await body(browser)
            try await outbound.close(.normalClosure, reason: nil)
        }
    }
}

/// One page of the browser: navigate, run a script, wait for a condition.
final class DevToolsPage: @unchecked Sendable {  // used by one test task at a time, never concurrently
    var messages: WebSocketInboundMessageStream.AsyncIterator
    let outbound: WebSocketOutboundWriter
    var sessionID: String?
    var lastID = 0

    init(messages: WebSocketInboundMessageStream.AsyncIterator, outbound: WebSocketOutboundWriter) {
        self.messages = messages
        self.outbound = outbound
    }

    /// Sends a DevTools command and waits for its answer (events in between are skipped).
    @discardableResult
    func send(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        lastID += 1
        var command: [String: Any] = ["id": lastID, "method": method, "params": params]
        if let sessionID { command["sessionId"] = sessionID }
        try await outbound.writeTextMessage(String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self))
        while let message = try await messages.next() {
            guard case .text(let text) = message,
                  let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], object["id"] as? Int == lastID else { continue }
            if let error = object["error"] as? [String: Any] { throw Chromium.Failure.protocolError("\(method): \(error["message"] ?? error)") }
            return object["result"] as? [String: Any] ?? [:]
        }
        throw Chromium.Failure.closed
    }

    func navigate(_ url: String) async throws {
        try await send("Page.navigate", ["url": url])
        try await waitFor("document.readyState === 'complete' && location.href === \(Self.literal(url))")
    }

    /// The value of a JavaScript expression (JSON-like values only).
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw Chromium.Failure.scriptError((exception["exception"] as? [String: Any])?["description"] as? String ?? "\(exception)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    func string(_ expression: String) async throws -> String { try await evaluate(expression) as? String ?? "" }

    /// Waits until `condition` (JavaScript) is true, checking every 100 ms, for at most `seconds`.
    func waitFor(_ condition: String, seconds: Double = 20) async throws {
        let deadline = Date() + seconds
        while Date() < deadline {
            // A page being replaced by a navigation has no context for a moment: try again.
            if (try? await evaluate("!!(\(condition))")) as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Chromium.Failure.timedOut(condition)
    }

    /// A Swift string as a JavaScript string literal.
    static func literal(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }
}
