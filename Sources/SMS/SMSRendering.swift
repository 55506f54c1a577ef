import Foundation
import ChannelKit
import SamenspraakCore

/// How a message looks as SMS: there are no buttons, so choices follow the text as numbered lines (`NumberedChoices`,
/// shared with Matrix). A text longer than Twilio takes in one request (1,600 characters) goes in parts, cut at a line
/// break or space, the choices with the last.
enum SMSRendering {
    static let maximumBody = 1600

    static func bodies(for message: OutboundMessage) -> [String] {
        TextLimits.parts(of: NumberedChoices.text(of: message), maximum: maximumBody)
    }

    /// The command choice a typed number names after an unprompted message (see `NumberedChoices.commandChoice`).
    static func commandChoice(typed text: String, after message: OutboundMessage) -> String? {
        NumberedChoices.commandChoice(typed: text, after: message)
    }
}
