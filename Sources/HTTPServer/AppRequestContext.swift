import Hummingbird
import NIOCore

/// The request context of every route; knows the peer address for rate limiting.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address (without port), used as the rate-limit key.
    var peer: String { remoteAddress?.ipAddress ?? "unknown" }
}
