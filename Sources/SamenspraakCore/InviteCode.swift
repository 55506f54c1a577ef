/// Household invite codes: 12 characters from a 31-letter alphabet without look-alikes (≈ 59 bits),
/// drawn from the system's cryptographic random source, shown as XXXX-XXXX-XXXX.
public enum InviteCode {
    static let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
    public static let length = 12

    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return generate(using: &rng)
    }

    public static func generate<R: RandomNumberGenerator>(using rng: inout R) -> String {
        String((0..<length).map { _ in alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))] })
    }

    /// Upper-cases and strips separators so "k7qm-3xpa 9rtd" matches "K7QM3XPA9RTD"; nil when it cannot be a code.
    public static func normalise(_ input: String) -> String? {
        let cleaned = input.uppercased().filter { $0 != "-" && $0 != " " }
        guard cleaned.count == length, cleaned.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return cleaned
    }

    public static func display(_ code: String) -> String {
        let chars = Array(code)
        return stride(from: 0, to: chars.count, by: 4).map { String(chars[$0..<min($0 + 4, chars.count)]) }.joined(separator: "-")
    }
}
