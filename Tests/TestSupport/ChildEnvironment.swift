import Foundation

/// The environment for a `samenspraak` process a test starts: this process's own, without its `SAMENSPRAAK_*`
/// variables (the suite's own switches such as SAMENSPRAAK_BROWSER_TESTS, or a developer's settings, which the binary
/// would refuse or obey), with `LOG_LEVEL=critical` and then `overrides` (an empty value counts as not set).
public func childEnvironment(_ overrides: [String: String] = [:]) -> [String: String] {
    ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SAMENSPRAAK_") }
        .merging(["LOG_LEVEL": "critical"]) { _, new in new }
        .merging(overrides) { _, new in new }
}
