import ChannelKit
import Crypto
import Foundation

/// `application/x-www-form-urlencoded` bodies, as Twilio posts its webhooks and takes its requests.
public enum FormBody {
    /// The name-value pairs in their order (a name may come twice); nil when the body is not form-encoded: a part
    /// without "=", a broken %-escape, or bytes that are not UTF-8.
    public static func decode(_ body: Data) -> [(name: String, value: String)]? {
        guard let text = String(data: body, encoding: .utf8) else { return nil }
        var pairs: [(name: String, value: String)] = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = part.firstIndex(of: "="),
                  let name = unescape(part[..<equals]), let value = unescape(part[part.index(after: equals)...]), !name.isEmpty else { return nil }
            pairs.append((name, value))
        }
        return pairs
    }

    /// "+" is a space and "%XY" the byte XY; nil for a broken escape or bytes that are not UTF-8.
    static func unescape(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Encodes pairs in order; everything but letters, digits and -._~ is %-escaped (so "+" in a phone number survives).
    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func escape(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }
}

/// Twilio's request signature (X-Twilio-Signature): the base64 HMAC-SHA1, keyed with the account's auth token, of the
/// URL Twilio called followed by every POST parameter's name and value, sorted by name, without separators. A name
/// that comes more than once has its values sorted, and a repeated name-value pair counts once, as in Twilio's own
/// libraries. https://www.twilio.com/docs/usage/webhooks/webhooks-security
public enum TwilioSignature {
    public static let header = "X-Twilio-Signature"

    public static func compute(url: String, parameters: [(name: String, value: String)], authToken: String) -> String {
        let sorted = parameters.sorted { a, b in
            a.name == b.name ? a.value.utf8.lexicographicallyPrecedes(b.value.utf8) : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var signed = url
        var previous: (name: String, value: String)?
        for (name, value) in sorted where previous.map({ $0.name != name || $0.value != value }) ?? true {
            signed += name + value
            previous = (name, value)
        }
        let code = HMAC<Insecure.SHA1>.authenticationCode(for: Data(signed.utf8), using: SymmetricKey(data: Data(authToken.utf8)))
        return Data(code).base64EncodedString()
    }

    /// Whether `header` is the signature of this request, compared in constant time.
    public static func isValid(_ header: String?, url: String, parameters: [(name: String, value: String)], authToken: String) -> Bool {
        guard let header, !header.isEmpty else { return false }
        return WebhookSecurity.constantTimeEqual(header, compute(url: url, parameters: parameters, authToken: authToken))
    }
}
