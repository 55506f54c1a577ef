import AsyncHTTPClient
import Foundation
import NIOCore
import SamenspraakCore

/// One JSON POST to a provider, with what both providers share: network errors and timeouts sorted into failures
/// that name only the kind of error (never the URL, a header or the body), and a bounded answer.
struct ProviderRequest {
    let http: HTTPClient
    let url: String
    var headers: [(name: String, value: String)] = []
    /// How long the request may take at most; the `Translator`'s deadline is usually shorter and cancels it sooner.
    let timeout: Duration

    func post(_ body: some Encodable) async throws(TranslationFailure) -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.wholeNanoseconds))
            let bytes = try await response.body.collect(upTo: 1024 * 1024)
            return (Int(response.status.code), Data(bytes.readableBytesView))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .timedOut
        } catch {
            throw .unavailable("\(type(of: error))")
        }
    }
}
