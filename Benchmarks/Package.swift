// swift-tools-version:6.1
// The benchmarks live in their own package so the daemon and its tests do not build the benchmark tooling.
// Run: cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "samenspraak-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        // Named explicitly: a path dependency is otherwise known by its folder's name, which differs per clone.
        .package(name: "samenspraak", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        benchmarkSuite("ConversationBenchmarks"),
        benchmarkSuite("SchedulerBenchmarks"),
        benchmarkSuite("PlannerBenchmarks"),
        // Simulated parents and a fake Bot API, in their own process, for `telegram-load.sh`.
        .executableTarget(
            name: "TelegramLoad",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/TelegramLoad",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)

/// A suite run by `swift package benchmark`: ordo-one's harness over the daemon's own modules.
func benchmarkSuite(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "App", package: "samenspraak"),
            .product(name: "SamenspraakModules", package: "samenspraak"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Benchmarks/\(name)",
        swiftSettings: [.enableUpcomingFeature("ExistentialAny")],
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
