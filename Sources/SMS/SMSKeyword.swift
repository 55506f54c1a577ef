import Foundation

/// The words carriers and Twilio treat as opting out of, back into, or asking about a number's messages. Twilio
/// recognises them only as the whole message (any case, spaces around ignored) and, with its default opt-out handling
/// or a Messaging Service's Advanced Opt-Out, answers them itself and stops (or resumes) every message to the person.
/// With Advanced Opt-Out the webhook also carries `OptOutType` (STOP, START, HELP), which covers keywords the school
/// added there (such as STOPPEN); it wins over the word list.
enum SMSKeyword: Equatable {
    case optOut, optIn, help

    static let optOutWords: Set<String> = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
    static let optInWords: Set<String> = ["START", "YES", "UNSTOP"]
    static let helpWords: Set<String> = ["HELP", "INFO"]

    /// The keyword a message is, or nil for anything else ("stop please" is an ordinary message).
    init?(body: String, optOutType: String?) {
        switch optOutType?.uppercased() {
        case "STOP": self = .optOut; return
        case "START": self = .optIn; return
        case "HELP": self = .help; return
        default: break
        }
        let word = body.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        if Self.optOutWords.contains(word) { self = .optOut }
        else if Self.optInWords.contains(word) { self = .optIn }
        else if Self.helpWords.contains(word) { self = .help }
        else { return nil }
    }

    /// YES also answers questions; it counts as opting in only for someone who opted out.
    static func isOnlyOptInWhenStopped(_ body: String) -> Bool {
        body.trimmingCharacters(in: .whitespacesAndNewlines).uppercased() == "YES"
    }
}
