/// SplitMix64: small, fast and deterministic, so a generated school (the demo, the planner's tests and benchmark) is
/// the same on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<n by remainder: cheaper than `next(upperBound:)`, and the tiny bias does not matter for made-up data.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// A number in 0..<1.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
