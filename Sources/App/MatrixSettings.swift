import ChannelKit
import Matrix

/// A Matrix bot account: the school's homeserver, the bot's user id, and its password or an access token (secrets, never
/// printed); optionally the homeservers whose users may invite it.
public struct MatrixSettings: Sendable, CustomStringConvertible {
    public var homeserver: String
    public var userID: String
    public var credentials: MatrixCredentials
    /// nil: anyone may invite the bot.
    public var allowedServers: [String]?
    public var limits: MatrixSender.Limits
    /// The secret the device's encryption keys are stored under; nil: no end-to-end encryption (encrypted messages
    /// are answered with "I can only read text", in plain text).
    public var pickleKey: String?

    public init(homeserver: String, userID: String, credentials: MatrixCredentials, allowedServers: [String]? = nil,
                limits: MatrixSender.Limits = .init(perSecond: 10), pickleKey: String? = nil) {
        self.pickleKey = pickleKey
        self.homeserver = homeserver
        self.userID = userID
        self.credentials = credentials
        self.allowedServers = allowedServers
        self.limits = limits
    }

    public var description: String {
        let how = switch credentials {
        case .password: "password"
        case .accessToken: "access token"
        }
        let invites = allowedServers.map { "invitations from \($0.joined(separator: ", "))" } ?? "invitations from anyone"
        let encryption = pickleKey == nil ? "no end-to-end encryption (no pickle key)" : "end-to-end encryption (pickle key hidden)"
        return "Matrix bot \(userID) at \(homeserver), \(how) hidden, \(invites), \(encryption)"
    }
}
