// Load driver for the Telegram channel: a fake Bot API on 127.0.0.1 and simulated parents in closed loop.
// Each parent opens its deep link, then keeps going through the real booking flow by pressing buttons:
// choose the language, plan a talk, pick a child, a day and a time, then move it, again and again.
// Run by Benchmarks/telegram-load.sh, which starts the daemon against it and reads the figures it prints.
//
// usage: TelegramLoad CODES_FILE PARENTS SECONDS   (prints "PORT n" first, the figures later; runs until killed)
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count == 4, let parents = Int(arguments[2]), let seconds = Int(arguments[3]),
      let codes = try? String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n").map(String.init), codes.count >= parents
else {
    FileHandle.standardError.write(Data("usage: TelegramLoad CODES_FILE PARENTS SECONDS (with at least PARENTS codes)\n".utf8))
    exit(2)
}

/// Everything the fake Telegram knows, behind one lock.
struct World {
    var queue: [(id: Int64, chat: Int64, json: String)] = []
    var nextUpdateID: Int64 = 1
    var nextMessageID: Int64 = 1
    /// When the update a chat is waiting on was handed to the daemon.
    var handedOut: [Int64: ContinuousClock.Instant] = [:]
    var latencies: [Duration] = []
    var steps = 0
    var measuring = false
    var rng = SystemRandomNumberGenerator()

    mutating func push(chat: Int64, _ body: String) {
        queue.append((nextUpdateID, chat, "{\"update_id\":\(nextUpdateID),\(body)}"))
        nextUpdateID += 1
    }
}

let world = Mutex(World())
let firstChat: Int64 = 7_000_000
let navigation: Set<String> = ["Terug", "Andere dag", "Toch niet", "Taal", "Hulp", "Voorbereiding", "Afzeggen", "Ja, nu", "Nee, laten staan"]
let preferred = ["Nederlands", "Verzetten", "Gesprek plannen", "Later"]

@Sendable func user(_ chat: Int64) -> String { #""from":{"id":\#(chat),"is_bot":false,"first_name":"Ouder","language_code":"nl"}"# }

@Sendable func text(_ chat: Int64, _ text: String) -> String {
    #""message":{"message_id":1,\#(user(chat)),"chat":{"id":\#(chat),"type":"private"},"date":1795424400,"text":"\#(text)"}"#
}

@Sendable func press(_ chat: Int64, messageID: Int64, data: String) -> String {
    #""callback_query":{"id":"q\#(messageID)",\#(user(chat)),"message":{"message_id":\#(messageID),"chat":{"id":\#(chat),"type":"private"},"date":1795424400,"text":"…"},"chat_instance":"1","data":"\#(data)"}"#
}

for index in 0..<parents {
    world.withLock { $0.push(chat: firstChat + Int64(index), text(firstChat + Int64(index), "/start \(codes[index])")) }
}

@Sendable func json(_ text: String) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
}

let router = Router()
router.post("/bot{token}/{method}") { request, context -> Response in
    let method = context.parameters.get("method") ?? ""
    // Only the two methods that drive the parents are read; the rest (answerCallbackQuery, editMessageText) just succeed.
    guard method == "getUpdates" || method == "sendMessage" else { return json(#"{"ok":true,"result":true}"#) }
    let body = try await request.body.collect(upTo: 1 << 20)
    let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    switch method {
    case "getUpdates":
        let offset = (object["offset"] as? NSNumber)?.int64Value ?? 0
        let deadline = ContinuousClock.now + .seconds(min(25, (object["timeout"] as? NSNumber)?.intValue ?? 0))
        while true {
            let now = ContinuousClock.now
            let batch = world.withLock { world -> [String] in
                world.queue.removeAll { $0.id < offset }
                let batch = world.queue.prefix(100)
                for update in batch where world.handedOut[update.chat] == nil { world.handedOut[update.chat] = now }
                return batch.map(\.json)
            }
            if !batch.isEmpty || now >= deadline { return json("{\"ok\":true,\"result\":[\(batch.joined(separator: ","))]}") }
            try await Task.sleep(for: .milliseconds(1))
        }
    case "sendMessage":
        let chat = (object["chat_id"] as? NSNumber)?.int64Value ?? Int64("\(object["chat_id"] ?? "")") ?? 0
        let buttons = ((object["reply_markup"] as? [String: Any])?["inline_keyboard"] as? [[[String: Any]]] ?? []).flatMap { $0 }
            .map { ($0["text"] as? String ?? "", $0["callback_data"] as? String ?? "") }
        let now = ContinuousClock.now
        let messageID = world.withLock { world -> Int64 in
            world.nextMessageID += 1
            if let since = world.handedOut.removeValue(forKey: chat), world.measuring { world.latencies.append(now - since) }
            guard !buttons.isEmpty else { return world.nextMessageID }
            // The step is complete: the parent reads the question and presses a button.
            if world.measuring { world.steps += 1 }
            let choice = preferred.lazy.compactMap { label in buttons.first { $0.0 == label } }.first
                ?? buttons.filter { !navigation.contains($0.0) }.randomElement(using: &world.rng) ?? buttons[0]
            world.push(chat: chat, press(chat, messageID: world.nextMessageID, data: choice.1))
            return world.nextMessageID
        }
        return json(#"{"ok":true,"result":{"message_id":\#(messageID),"date":1795424400,"chat":{"id":\#(chat),"type":"private"}}}"#)
    default:
        return json(#"{"ok":true,"result":true}"#)
    }
}

var logger = Logger(label: "telegram-load")
logger.logLevel = .critical
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: { channel in
    print("PORT \(channel.localAddress?.port ?? 0)")
    fflush(nil)
}, logger: logger)

Task {
    // Warm up (every parent through its first steps), then measure.
    try await Task.sleep(for: .seconds(min(10, max(2, seconds / 4))))
    world.withLock { $0.measuring = true; $0.latencies.removeAll(); $0.steps = 0 }
    let started = ContinuousClock.now
    try await Task.sleep(for: .seconds(seconds))
    let elapsed = ContinuousClock.now - started
    let (steps, latencies) = world.withLock { ($0.steps, $0.latencies.sorted()) }
    func percentile(_ p: Double) -> String {
        guard !latencies.isEmpty else { return "-" }
        let value = latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        return String(format: "%.1f ms", Double(value.components.attoseconds) / 1e15 + Double(value.components.seconds) * 1000)
    }
    let perSecond = Double(steps) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    print(String(format: "steps/s %.0f", perSecond))
    print("latency p50 \(percentile(0.50)) p90 \(percentile(0.90)) p99 \(percentile(0.99)) (update handed out -> first reply, \(latencies.count) samples)")
    fflush(nil)
    // Keep answering until the script has stopped the daemon, so its graceful stop is not held up by us.
}
try await app.runService()
