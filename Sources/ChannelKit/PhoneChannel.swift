import Conversations
import Foundation
import SamenspraakCore

/// What the channels that know a person by their phone number share (WhatsApp, SMS): finding the invite code in a
/// first message (Matrix too), and the language a number's country suggests.
public enum PhoneChannel {
    /// The invite code in a message: the whole text, or an XXXX-XXXX-XXXX group anywhere in it (a pre-filled text
    /// may have been added to).
    public static func inviteCode(in text: String) -> String? {
        if let code = InviteCode.normalise(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return code }
        let words = text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") })
        return words.lazy.filter { $0.count == 14 && $0.filter { $0 == "-" }.count == 2 }.compactMap { InviteCode.normalise(String($0)) }.first
    }

    /// The language a number's country suggests ("31612345678" or "+31612345678"), for a stranger's answer and until a
    /// parent chooses a language.
    public static func languageHint(for number: String) -> String? {
        let digits = number.hasPrefix("+") ? number.dropFirst() : Substring(number)
        let prefixes: [(String, String)] = [
            ("380", "uk"), ("90", "tr"), ("48", "pl"), ("31", "nl"), ("32", "nl"), ("44", "en"), ("1", "en"),
            ("212", "ar"), ("213", "ar"), ("216", "ar"), ("218", "ar"), ("20", "ar"), ("961", "ar"), ("962", "ar"), ("963", "ar"),
            ("964", "ar"), ("965", "ar"), ("966", "ar"), ("967", "ar"), ("968", "ar"), ("970", "ar"), ("971", "ar"), ("973", "ar"),
            ("974", "ar"), ("249", "ar"),
        ]
        return prefixes.filter { digits.hasPrefix($0.0) }.max { $0.0.count < $1.0.count }?.1
    }
}

extension ConversationService {
    /// A message on a channel where a parent binds their chat by sending the invite code (WhatsApp, SMS, Matrix): with a
    /// valid code in its text the sender is bound (and starts afresh); an old or mistyped code from someone already
    /// known is an ordinary message, as is every other message.
    public func handleBindingInviteCode(_ event: InboundEvent) async throws -> Outcome {
        if case .text(let text) = event.content, let code = PhoneChannel.inviteCode(in: text) {
            let outcome = try await start(channel: event.channel, address: event.address, platformMessageID: event.platformMessageID,
                                          inviteCode: code, languageHint: event.languageHint)
            if outcome != .unknownSender { return outcome }
        }
        return try await handle(event)
    }
}
