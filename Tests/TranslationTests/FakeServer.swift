import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// What a fake provider received: enough to check the request's path, headers and JSON body.
struct ReceivedRequest: Sendable {
    var path: String
    var authorization: String?
    var contentType: String?
    var body: Data

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
}

/// An answer a fake gives instead of translating: a provider's error status with its documented body.
struct CannedAnswer: Sendable {
    var status: HTTPResponse.Status
    var body: String
}

/// What both fake providers share: the requests they received, the canned answers and the delay before answering.
final class FakeProviderState: Sendable {
    private struct State {
        var requests: [ReceivedRequest] = []
        var answers: [CannedAnswer] = []
        var delay: Duration?
        var held = false
    }

    private let state = Mutex(State())

    var requests: [ReceivedRequest] { state.withLock { $0.requests } }

    /// The next requests are answered like this, in order.
    func answerNext(_ answers: CannedAnswer...) { state.withLock { $0.answers += answers } }

    /// Every answer waits this long, as an overloaded provider would.
    func delayAnswers(by delay: Duration) { state.withLock { $0.delay = delay } }

    /// No answer until `releaseAnswers()` (or 10 seconds, so a test that forgets cannot hang): a provider that is
    /// certainly slower than any deadline, however busy the machine running the tests.
    func holdAnswers() { state.withLock { $0.held = true } }
    func releaseAnswers() { state.withLock { $0.held = false } }

    /// Records the request, waits the delay, and hands back the next canned answer if there is one.
    func receive(_ request: Request, path: String) async throws -> (body: Data, canned: CannedAnswer?) {
        let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
        let received = ReceivedRequest(path: path, authorization: request.headers[.authorization], contentType: request.headers[.contentType], body: body)
        let delay = state.withLock { state -> Duration? in
            state.requests.append(received)
            return state.delay
        }
        if let delay { try? await Task.sleep(for: delay) }
        let heldUntil = ContinuousClock.now + .seconds(10)
        while state.withLock({ $0.held }), ContinuousClock.now < heldUntil { try? await Task.sleep(for: .milliseconds(10)) }
        return (body, state.withLock { $0.answers.isEmpty ? nil : $0.answers.removeFirst() })
    }

    static func json(_ object: [String: Any], _ status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response.json(String(decoding: data, as: UTF8.self), status)
    }
}
