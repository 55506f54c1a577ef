import ChannelKit
import SMS

/// SMS through Twilio: the account's SID, its auth token (a secret, never printed; it also signs Twilio's webhook
/// requests), who the messages come from (a number of the account, or a Messaging Service), and the API address.
public struct SMSSettings: Sendable, CustomStringConvertible {
    /// What `sms_provider` may say.
    enum Provider: String, CaseIterable {
        case none, twilio
    }

    public var accountSID: String
    public var authToken: String
    public var sender: TwilioClient.Sender
    public var apiURL: String
    /// Pacing of requests to the API (Twilio queues what a number cannot send at once).
    public var limits: SMSSender.Limits

    public static let defaultAPIURL = "https://api.twilio.com"

    public init(accountSID: String, authToken: String, sender: TwilioClient.Sender, apiURL: String = SMSSettings.defaultAPIURL,
                limits: SMSSender.Limits = .init(perSecond: 10)) {
        self.accountSID = accountSID
        self.authToken = authToken
        self.sender = sender
        self.apiURL = apiURL
        self.limits = limits
    }

    public var description: String {
        let from = switch sender {
        case .number(let number): "from \(number)"
        case .messagingService(let sid): "through Messaging Service \(sid)"
        }
        return "Twilio account \(accountSID) \(from) via \(apiURL) (auth token hidden)"
    }
}
