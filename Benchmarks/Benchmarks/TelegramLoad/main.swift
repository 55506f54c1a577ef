// Load driver for the Telegram channel: a fake Bot API on 127.0.0.1 and simulated parents in closed loop.
// Each parent opens its deep link, then keeps going through the real booking flow by pressing buttons:
// choose the language, plan a talk, pick a child, a day and a time, then move it, again and again.
// Run by Benchmarks/telegram-load.sh, which starts the daemon(s) against it and reads the figures it prints.
//
// usage: TelegramLoad CODES_FILE PARENTS SECONDS [WEBHOOK_PORTS]   (prints "PORT n" first, the figures later; runs until killed)
//
// $THINK_MS (default 0): how long a parent takes, on average, to press the next button after the question arrived
// (uniformly 0.5 to 1.5 times it). With 0 every parent answers at once, so the loop measures how many steps the daemon
// can take (its latency is then mostly queueing: 1,000 parents at 3,000 steps/s wait 333 ms each on average). With
// think time the parents offer at most PARENTS / THINK steps per second, and the latency is the daemon's at that load.
//
// Without WEBHOOK_PORTS the daemon long-polls getUpdates. With WEBHOOK_PORTS (comma-separated, e.g. 8081,8082) the
// driver is Telegram in webhook mode behind a load balancer: it POSTs each update to http://127.0.0.1:<port>/telegram/webhook
// of the daemons round-robin, with the secret from $WEBHOOK_SECRET in X-Telegram-Bot-Api-Secret-Token, at most
// $WEBHOOK_CONNECTIONS (default 40, Telegram's default max_connections) at once. A non-2xx answer or a connection error
// is retried once on the next daemon; if that fails too, the update is delivered again a second later (as Telegram would).
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count == 4 || arguments.count == 5, let parents = Int(arguments[2]), let seconds = Int(arguments[3]),
      let codes = try? String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n").map(String.init), codes.count >= parents
else {
    FileHandle.standardError.write(Data("usage: TelegramLoad CODES_FILE PARENTS SECONDS [WEBHOOK_PORTS] (with at least PARENTS codes)\n".utf8))
    exit(2)
}
let webhookPorts = arguments.count == 5 ? arguments[4].split(separator: ",").compactMap { Int($0) } : []
let webhookSecret = ProcessInfo.processInfo.environment["WEBHOOK_SECRET"] ?? ""
let webhookConnections = max(1, Int(ProcessInfo.processInfo.environment["WEBHOOK_CONNECTIONS"] ?? "") ?? 40)
let thinkTime = Duration.milliseconds(max(0, Int(ProcessInfo.processInfo.environment["THINK_MS"] ?? "") ?? 0))

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
    /// Webhook mode: where new updates go instead of `queue`; counts per daemon and of retries and failures.
    var deliveries: AsyncStream<(chat: Int64, json: String)>.Continuation?
    var nextInstance = 0
    var delivered: [Int] = []
    var retried = 0
    var failed = 0
    var statuses: [UInt: Int] = [:]
    /// While measuring: replies (sendMessage, or editMessageText with buttons), and how long each webhook POST took to be answered (the step committed, its reply sent).
    var sends = 0
    var answered: [Duration] = []
    /// While measuring, long polling: getUpdates answered, and the updates they handed out.
    var polls = 0
    var handedOutCount = 0

    mutating func push(chat: Int64, _ body: String) {
        let json = "{\"update_id\":\(nextUpdateID),\(body)}"
        if let deliveries { deliveries.yield((chat, json)) } else { queue.append((nextUpdateID, chat, json)) }
        nextUpdateID += 1
    }
}

let world = Mutex(World())
/// When the daemon started answering (its first getUpdates, or every webhook accepting connections): the warm-up starts then.
struct Readiness { var isReady = false; var waiter: CheckedContinuation<Void, Never>? }
let readiness = Mutex(Readiness())
@Sendable func daemonReady() { readiness.withLock { $0.isReady = true; $0.waiter?.resume(); $0.waiter = nil } }
let (deliveryStream, deliveryContinuation) = AsyncStream<(chat: Int64, json: String)>.makeStream()
if !webhookPorts.isEmpty {
    world.withLock { $0.deliveries = deliveryContinuation; $0.delivered = Array(repeating: 0, count: webhookPorts.count) }
}
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

/// A parent's next update, after its think time (`world` is shadowed inside the lock's closures).
@Sendable func pushUpdate(chat: Int64, _ body: String) { world.withLock { $0.push(chat: chat, body) } }

/// One Bot API request: the method (the last part of the path) and its JSON body.
struct BotAPIRequest {
    let method: Substring
    let body: BodyScanner
}

/// What the fake answers `request`: a JSON text now, or nil while a long poll waits (asked again a millisecond later).
func answer(_ request: BotAPIRequest, pollDeadline: ContinuousClock.Instant) -> String? {
    switch request.method {
    case "getUpdates":
        let offset = request.body.number("offset") ?? 0
        let limit = Int(min(100, max(1, request.body.number("limit") ?? 100)))
        daemonReady()
        let now = ContinuousClock.now
        let batch = world.withLock { world -> [String] in
            world.queue.removeAll { $0.id < offset }
            let batch = world.queue.prefix(limit)
            for update in batch where world.handedOut[update.chat] == nil { world.handedOut[update.chat] = now }
            if world.measuring, !batch.isEmpty {
                world.polls += 1
                world.handedOutCount += batch.count
            }
            return batch.map(\.json)
        }
        guard !batch.isEmpty || now >= pollDeadline else { return nil }
        return "{\"ok\":true,\"result\":[\(batch.joined(separator: ","))]}"
    case "sendMessage", "editMessageText":
        // A reply to a pressed button comes as an edit of the pressed message when it fits there; an edit without buttons
        // only shows the choice.
        let chat = request.body.number("chat_id") ?? 0
        let buttons = request.body.buttons()
        let edited = request.method == "editMessageText" ? request.body.number("message_id") : nil
        if edited != nil, buttons.isEmpty { return #"{"ok":true,"result":true}"# }
        let now = ContinuousClock.now
        let messageID = world.withLock { world -> Int64 in
            if edited == nil { world.nextMessageID += 1 }
            let messageID = edited ?? world.nextMessageID
            if world.measuring { world.sends += 1 }
            if let since = world.handedOut.removeValue(forKey: chat), world.measuring { world.latencies.append(now - since) }
            guard !buttons.isEmpty else { return messageID }
            // The step is complete: the parent reads the question and presses a button.
            if world.measuring { world.steps += 1 }
            let choice = preferred.lazy.compactMap { label in buttons.first { $0.0 == label } }.first
                ?? buttons.filter { !navigation.contains($0.0) }.randomElement(using: &world.rng) ?? buttons[0]
            let update = press(chat, messageID: messageID, data: choice.1)
            if thinkTime == .zero {
                world.push(chat: chat, update)
            } else {
                let pause = thinkTime * Double.random(in: 0.5...1.5, using: &world.rng)
                Task {
                    try? await Task.sleep(for: pause)
                    pushUpdate(chat: chat, update)
                }
            }
            return messageID
        }
        return #"{"ok":true,"result":{"message_id":\#(messageID),"date":1795424400,"chat":{"id":\#(chat),"type":"private"}}}"#
    default:
        // answerCallbackQuery and the rest just succeed.
        return #"{"ok":true,"result":true}"#
    }
}

/// The fake Bot API's HTTP/1.1 server: each request answered on its connection's event loop, without a task, a router
/// or JSONSerialization. Under Hummingbird with JSONSerialization the fake took about a third as much CPU per step as
/// the daemon; it stands in for Telegram's servers, so the less of the two cores it takes, the closer the run is to
/// the daemon's own.
final class BotAPIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            let method = head.uri.split(separator: "/").last.map { $0.split(separator: "?")[0] } ?? ""
            let request = BotAPIRequest(method: method, body: BodyScanner(body))
            let timeout = request.method == "getUpdates" ? min(25, request.body.number("timeout") ?? 0) : 0
            respond(to: request, keepAlive: head.isKeepAlive, deadline: .now + .seconds(timeout), context: context)
        }
    }

    private func respond(to request: BotAPIRequest, keepAlive: Bool, deadline: ContinuousClock.Instant, context: ChannelHandlerContext) {
        guard let text = answer(request, pollDeadline: deadline) else {
            // A long poll with nothing to hand out yet: look again in a millisecond, on this connection's loop.
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(1)) {
                let (handler, context) = loopBound.value
                handler.respond(to: request, keepAlive: keepAlive, deadline: deadline, context: context)
            }
            return
        }
        let bytes = ByteBuffer(string: text)
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: "\(bytes.readableBytes)")
        if !keepAlive { head.headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if !keepAlive { channel.close(promise: nil) } }
    }
}

/// The few fields the fake reads from the daemon's JSON request bodies, found by key.
struct BodyScanner {
    let bytes: [UInt8]

    init(_ buffer: ByteBuffer) { bytes = Array(buffer.readableBytesView) }

    /// Where the value of the first `"key":` starts (after the colon), searching from `start`.
    func value(of key: String, from start: Int = 0) -> Int? {
        let pattern = Array("\"\(key)\":".utf8)
        guard bytes.count >= pattern.count, start <= bytes.count - pattern.count else { return nil }
        for index in start...(bytes.count - pattern.count) where bytes[index] == pattern[0] {
            if bytes[index..<(index + pattern.count)].elementsEqual(pattern) { return index + pattern.count }
        }
        return nil
    }

    /// A number, written bare or as a string ("chat_id":"42").
    func number(_ key: String) -> Int64? {
        guard var index = value(of: key) else { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") { index += 1 }
        var value: Int64 = 0, digits = 0, sign: Int64 = 1
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { sign = -1; index += 1 }
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
        }
        return digits > 0 ? sign * value : nil
    }

    /// The JSON string starting at `start` (its opening quote) and where it ends; escapes decoded as far as the
    /// daemon writes them (quotes, backslashes, control characters).
    func string(at start: Int) -> (String, end: Int)? {
        guard start < bytes.count, bytes[start] == UInt8(ascii: "\"") else { return nil }
        var out: [UInt8] = []
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { return (String(decoding: out, as: UTF8.self), index + 1) }
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                index += 1
                switch bytes[index] {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                default: out.append(bytes[index])
                }
            } else {
                out.append(byte)
            }
            index += 1
        }
        return nil
    }

    /// The inline keyboard's buttons, (label, callback data), in order.
    func buttons() -> [(String, String)] {
        guard var index = value(of: "inline_keyboard") else { return [] }
        var buttons: [(String, String)] = []
        while let textStart = value(of: "text", from: index), let (label, afterLabel) = string(at: textStart),
              let dataStart = value(of: "callback_data", from: afterLabel), let (data, afterData) = string(at: dataStart) {
            buttons.append((label, data))
            index = afterData
        }
        return buttons
    }
}

// MARK: Webhook mode: a small HTTP/1.1 client on NIO with kept-alive connections per daemon, one request at a time on each.

struct Delivery: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer
    let answer: EventLoopPromise<UInt>
}

struct ConnectionClosed: Error {}

/// Writes a Delivery as a request and completes its promise with the response's status (or fails it if the connection goes).
final class WebhookClientHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Delivery
    typealias OutboundOut = HTTPClientRequestPart
    private var waiting: [EventLoopPromise<UInt>] = []
    private var status: UInt = 0
    private var closed = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let delivery = unwrapOutboundIn(data)
        guard !closed else { delivery.answer.fail(ConnectionClosed()); promise?.fail(ConnectionClosed()); return }
        waiting.append(delivery.answer)
        context.write(wrapOutboundOut(.head(delivery.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(delivery.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = head.status.code
        case .body: break
        case .end: if !waiting.isEmpty { waiting.removeFirst().succeed(status) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(ConnectionClosed())
        context.fireChannelInactive()
    }

    private func failAll(_ error: any Error) {
        closed = true
        let waiting = self.waiting
        self.waiting.removeAll()
        for answer in waiting { answer.fail(error) }
    }
}

/// Idle kept-alive connections per daemon.
let idleConnections = Mutex<[Int: [any Channel]]>([:])

func connect(port: Int) async throws -> any Channel {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        .connectTimeout(.seconds(5))
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                try channel.pipeline.syncOperations.addHandler(WebhookClientHandler())
            }
        }
        .connect(host: "127.0.0.1", port: port).get()
}

/// POSTs one update to a daemon's webhook; returns the status, throws on a connection error or after 30 s without an answer.
func post(_ json: String, toPort port: Int) async throws -> UInt {
    let channel: any Channel
    if let idle = idleConnections.withLock({ $0[port]?.popLast() }), idle.isActive { channel = idle } else { channel = try await connect(port: port) }
    var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/telegram/webhook")
    let body = ByteBuffer(string: json)
    head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
    head.headers.add(name: "Content-Type", value: "application/json")
    head.headers.add(name: "Content-Length", value: "\(body.readableBytes)")
    head.headers.add(name: "X-Telegram-Bot-Api-Secret-Token", value: webhookSecret)
    let answer = channel.eventLoop.makePromise(of: UInt.self)
    let timeout = channel.eventLoop.scheduleTask(in: .seconds(30)) { channel.close(promise: nil) }
    channel.writeAndFlush(Delivery(head: head, body: body, answer: answer), promise: nil)
    do {
        let status = try await answer.futureResult.get()
        timeout.cancel()
        if channel.isActive { idleConnections.withLock { $0[port, default: []].append(channel) } }
        return status
    } catch {
        timeout.cancel()
        channel.close(promise: nil)
        throw error
    }
}

/// Delivers one update as Telegram behind a load balancer would: to the next daemon in turn, once more to the next on failure.
func deliver(chat: Int64, json: String) async {
    let now = ContinuousClock.now
    let first = world.withLock { world -> Int in
        if world.handedOut[chat] == nil { world.handedOut[chat] = now }
        defer { world.nextInstance = (world.nextInstance + 1) % webhookPorts.count }
        return world.nextInstance
    }
    for attempt in 0..<2 {
        let instance = (first + attempt) % webhookPorts.count
        let posted = ContinuousClock.now
        let status = try? await post(json, toPort: webhookPorts[instance])
        let took = ContinuousClock.now - posted
        world.withLock { world in
            if status != nil, world.measuring { world.answered.append(took) }
            if let status, status != 200 { world.statuses[status, default: 0] += 1 }
            if status.map({ (200..<300).contains($0) }) == true { world.delivered[instance] += 1 } else if attempt == 0 { world.retried += 1 } else { world.failed += 1 }
        }
        if let status, (200..<300).contains(status) { return }
    }
    // Both refused it: Telegram would deliver it again later, so the parent is not lost to the closed loop.
    try? await Task.sleep(for: .seconds(1))
    _ = world.withLock { world in world.deliveries?.yield((chat, json)) }
}

if !webhookPorts.isEmpty {
    Task {
        // Wait (bounded) until every daemon accepts connections, then deliver with at most `webhookConnections` at once.
        for port in webhookPorts {
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline {
                if let channel = try? await connect(port: port) {
                    idleConnections.withLock { $0[port, default: []].append(channel) }
                    break
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        daemonReady()
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await update in deliveryStream {
                if running >= webhookConnections {
                    await group.next()
                    running -= 1
                }
                group.addTask { await deliver(chat: update.chat, json: update.json) }
                running += 1
            }
        }
    }
}

let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(ChannelOptions.backlog, value: 256)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(BotAPIHandler())
        }
    }
    .bind(host: "127.0.0.1", port: 0).get()
print("PORT \(server.localAddress?.port ?? 0)")
fflush(nil)

Task {
    // Warm up (every parent through its first steps), then measure.
    await withCheckedContinuation { continuation in
        readiness.withLock { if $0.isReady { continuation.resume() } else { $0.waiter = continuation } }
    }
    try await Task.sleep(for: .seconds(min(10, max(2, seconds / 4))))
    world.withLock { $0.measuring = true; $0.latencies.removeAll(); $0.steps = 0; $0.sends = 0; $0.answered.removeAll(); $0.polls = 0; $0.handedOutCount = 0 }
    let started = ContinuousClock.now
    let cpuAtStart = cpuSeconds()
    // The script reads the daemons' CPU now and at "steps/s".
    print("MEASURING")
    fflush(nil)
    try await Task.sleep(for: .seconds(seconds))
    let elapsed = ContinuousClock.now - started
    let (steps, latencies, sends, answered) = world.withLock { ($0.steps, $0.latencies.sorted(), $0.sends, $0.answered.sorted()) }
    func percentile(_ p: Double, of latencies: [Duration] = latencies) -> String {
        guard !latencies.isEmpty else { return "-" }
        let value = latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        return String(format: "%.1f ms", Double(value.components.attoseconds) / 1e15 + Double(value.components.seconds) * 1000)
    }
    let measured = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let perSecond = Double(steps) / measured
    let cpu = cpuSeconds() - cpuAtStart
    print(String(format: "steps/s %.0f", perSecond))
    print(String(format: "fake Bot API CPU %.0f µs a step (%.2f cores)", cpu * 1e6 / Double(max(1, steps)), cpu / measured))
    if webhookPorts.isEmpty {
        print("latency p50 \(percentile(0.50)) p90 \(percentile(0.90)) p99 \(percentile(0.99)) (update handed out -> first reply, \(latencies.count) samples)")
        let (polls, handedOut) = world.withLock { ($0.polls, $0.handedOutCount) }
        print(String(format: "getUpdates answered with updates %.0f/s, %.1f updates each (at most the limit asked, 100 at most)", Double(polls) / measured,
                     Double(handedOut) / Double(max(1, polls))))
    } else {
        let (delivered, retried, failed, statuses) = world.withLock { ($0.delivered, $0.retried, $0.failed, $0.statuses) }
        print("latency p50 \(percentile(0.50)) p90 \(percentile(0.90)) p99 \(percentile(0.99)) (update POSTed -> first reply, \(latencies.count) samples)")
        print("webhook: \(webhookConnections) connections at most; delivered per daemon \(delivered.map(String.init).joined(separator: " / ")) (whole run), "
              + "retried on the other \(retried), failed twice \(failed), answers other than 200 "
              + (statuses.isEmpty ? "none" : statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")))
        print("webhook POST answered (step committed, its reply sent) p50 \(percentile(0.50, of: answered)) p99 \(percentile(0.99, of: answered)); "
              + String(format: "replies %.0f/s", Double(sends) / measured))
    }
    fflush(nil)
    // Keep answering until the script has stopped the daemon, so its graceful stop is not held up by us.
}
try await server.closeFuture.get()

/// User and system CPU time of this process so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
