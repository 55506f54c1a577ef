extension Duration {
    /// Milliseconds rounded to the microsecond: how health checks and log lines report a duration.
    public var inMilliseconds: Double {
        let (seconds, attoseconds) = components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 1000).rounded() / 1000
    }
}
