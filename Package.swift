// swift-tools-version:6.0
import PackageDescription

let settings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "samenspraak",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "samenspraak", targets: ["samenspraak"]),
        .library(name: "App", targets: ["App"]),
        // What Benchmarks/ measures directly: the engine, the conversation service and storage.
        .library(name: "SamenspraakModules", targets: ["SamenspraakCore", "Localization", "Dialogue", "Storage", "Conversations"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Tests only: the browser tests drive headless Chromium over the DevTools protocol, a WebSocket.
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        // The school's world and its rules. No I/O.
        .target(name: "SamenspraakCore", swiftSettings: settings),
        // YAML/CSV data files with file:line diagnostics.
        .target(name: "DataFiles", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: settings),
        .target(name: "Localization", dependencies: ["SamenspraakCore", "DataFiles"], swiftSettings: settings),
        .target(name: "Dialogue", dependencies: ["SamenspraakCore", "DataFiles"], swiftSettings: settings),
        .target(
            name: "SchoolSetup",
            dependencies: ["SamenspraakCore", "DataFiles", .product(name: "CSV", package: "CSV.swift")],
            swiftSettings: settings
        ),
        .target(
            name: "Storage",
            dependencies: ["SamenspraakCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            swiftSettings: settings
        ),
        // The same schema on PostgreSQL, for a school board's instances sharing one database server.
        .target(
            name: "PostgresStorage",
            dependencies: [
                "Storage", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        // What the daemon counts (swift-metrics instruments made once) and each channel's last contact, for /metrics and /healthz.
        .target(
            name: "Monitoring",
            dependencies: ["SamenspraakCore", .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: settings
        ),
        .target(
            name: "Conversations",
            dependencies: [
                "SamenspraakCore", "Dialogue", "Localization", "Storage", "Monitoring", "Translation",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "HTTPServer",
            dependencies: [
                "Conversations", "Storage", "Monitoring",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Public"), .copy("Templates")],
            swiftSettings: settings
        ),
        // What every messaging platform shares: the outbox sender (order, pacing, retries), typed delivery failures,
        // webhook signatures, texts and labels fitted to a platform's limits.
        .target(
            name: "ChannelKit",
            dependencies: [
                "SamenspraakCore", "Conversations", "Dialogue", "Storage", "Monitoring",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        // The Telegram Bot API: long polling in, outbox deliveries out.
        .target(
            name: "Telegram",
            dependencies: [
                "SamenspraakCore", "ChannelKit", "Conversations", "Storage", "Monitoring",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        // The WhatsApp Cloud API: a signed webhook in, Graph API messages out (buttons, lists, templates).
        .target(
            name: "WhatsApp",
            dependencies: [
                "SamenspraakCore", "ChannelKit", "Conversations", "Storage", "Monitoring",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        // SMS through Twilio: a signed form-encoded webhook in, Programmable Messaging out (numbered choices, segments counted).
        .target(
            name: "SMS",
            dependencies: [
                "SamenspraakCore", "ChannelKit", "Conversations", "Dialogue", "Storage", "Monitoring",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        // libolm from the system (Debian's libolm-dev), for Matrix's end-to-end encryption (Olm and Megolm).
        .systemLibrary(name: "COlm", pkgConfig: "olm", providers: [.apt(["libolm-dev"])]),
        // Matrix's client-server API: /sync long polling in (the since token stored with each batch), room messages out
        // with transaction ids from the outbox row (numbered choices).
        .target(
            name: "Matrix",
            dependencies: [
                "SamenspraakCore", "ChannelKit", "Conversations", "Storage", "Monitoring", "COlm",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        // Free text translated for parents (LibreTranslate, DeepL) behind a deadline and a cache; never throws.
        .target(
            name: "Translation",
            dependencies: [
                "SamenspraakCore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "App",
            dependencies: [
                "SamenspraakCore", "DataFiles", "Localization", "Dialogue", "SchoolSetup", "Storage", "PostgresStorage", "Conversations", "HTTPServer", "ChannelKit", "Telegram", "WhatsApp",
                "SMS", "Matrix", "Monitoring", "Translation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "samenspraak",
            dependencies: ["App", "Conversations", "HTTPServer", "Storage", "PostgresStorage", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: settings
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "App", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: settings
        ),
        .testTarget(name: "SamenspraakCoreTests", dependencies: ["SamenspraakCore"], swiftSettings: settings),
        .testTarget(name: "LocalizationTests", dependencies: ["Localization", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "DialogueTests", dependencies: ["Dialogue", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "SchoolSetupTests", dependencies: ["SchoolSetup", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: settings),
        // Against a real PostgreSQL server (SAMENSPRAAK_POSTGRES_URL; `.ci/run` starts one).
        .testTarget(
            name: "PostgresTests",
            dependencies: ["PostgresStorage", "Storage", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio")],
            exclude: ["postgres.sh"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "ConversationsTests", dependencies: ["Conversations", "TestSupport"],
            exclude: ["Transcripts"],  // golden transcripts, read through #filePath
            swiftSettings: settings
        ),
        .testTarget(
            name: "TelegramTests",
            dependencies: [
                // The daemon binary itself, for the crash test's child process.
                "Telegram", "App", "HTTPServer", "Monitoring", "TestSupport", "samenspraak",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "WhatsAppTests",
            dependencies: [
                "WhatsApp", "ChannelKit", "App", "Conversations", "HTTPServer", "Monitoring", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "SMSTests",
            dependencies: [
                "SMS", "ChannelKit", "App", "Conversations", "HTTPServer", "Monitoring", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "MatrixTests",
            dependencies: [
                "Matrix", "ChannelKit", "App", "Conversations", "HTTPServer", "Monitoring", "Storage", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["synapse.sh", "nio_parent.py"],  // a real Synapse and an encrypting parent (matrix-nio) for the end-to-end tests
            swiftSettings: settings
        ),
        .testTarget(
            name: "TranslationTests",
            dependencies: [
                "Translation", "App", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["App", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: settings
        ),
        // The staff pages and the web chat in a real headless Chromium (Debian's `chromium`).
        .testTarget(
            name: "BrowserTests",
            dependencies: ["App", "TestSupport", .product(name: "HummingbirdWSClient", package: "hummingbird-websocket")],
            swiftSettings: settings
        ),
    ]
)
