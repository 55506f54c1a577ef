import Crypto
import Foundation

/// Checks that a webhook request comes from the platform: a shared secret in a header (Telegram) or an HMAC of the
/// raw body with the app's secret (WhatsApp's X-Hub-Signature-256). Comparisons take the same time whatever differs.
public enum WebhookSecurity {
    /// Compares without stopping at the first difference, so timing does not reveal the secret.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }

    public static func constantTimeEqual(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Whether `header` is "sha256=" and the lower- or upper-case hex HMAC-SHA256 of `body` keyed with `secret`.
    public static func validSHA256Signature(_ header: String?, body: some DataProtocol, secret: String) -> Bool {
        guard let header, header.hasPrefix("sha256="), let given = bytes(hex: header.dropFirst("sha256=".count)), given.count == SHA256.byteCount else {
            return false
        }
        let key = SymmetricKey(data: Data(secret.utf8))
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: body, using: key)
    }

    /// "sha256=<hex>" for `body`: what the platform sends (tests sign their requests with it).
    public static func sha256Signature(body: some DataProtocol, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// What a platform's webhook POST came to; the HTTP layer answers it with the status the platform acts on.
public enum WebhookAnswer: Equatable, Sendable {
    case ok
    /// 200 with this JSON body: a call the platform makes for us (Telegram runs the Bot API method it names).
    case okCalling(json: String)
    /// The signature or shared secret is missing or wrong.
    case unauthorized
    case badRequest(String)
    /// Not stored (the database is unavailable): the platform should deliver it again.
    case retryLater
}
