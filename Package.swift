// swift-tools-version:6.0
import PackageDescription

// Module graph (ARCHITECTURE.md): KalmSupport ← Probes ← Measurements ← Exporter ← Agent ← kalm.
// No module imports one to its right.

// The engine (Probes) stays in Swift 5 language mode: its libcurl handles are raw C
// pointers, each owned by exactly one engine thread for its whole life; Swift 6's
// Sendable checking cannot see that ownership and would only add unchecked wrappers
// (ARCHITECTURE.md, "Concurrency").
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

// The git revision in `kalm --version` and kalm_build_info, without rewriting a tracked
// file: SwiftPM reads it from the checkout and hands it to a C define.
let revision: String = {
    guard let git = Context.gitInformation else { return "unknown" }
    return String(git.currentCommit.prefix(12)) + (git.hasUncommittedChanges ? "-dirty" : "")
}()

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
]

let package = Package(
    name: "kalm",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kalm", targets: ["kalm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // bcrypt through the system's libcrypt (libxcrypt), not a home-made implementation.
        .systemLibrary(
            name: "CCrypt",
            providers: [.apt(["libcrypt-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "CKalm",
            cSettings: [.define("KALM_REVISION", to: "\"\(revision)\"")]
        ),
        // Small helpers every module may share: the lock, edit distance, k6 number formats, JSON quoting.
        .target(name: "KalmSupport"),
        // The engine: libcurl multi loops, VUs, executors, checks, one RequestResult per request.
        .target(
            name: "Probes",
            dependencies: ["CCurl", "KalmSupport"],
            swiftSettings: swift5
        ),
        // What is measured: histograms, per-probe stats, rolling windows, thresholds, soak.
        .target(
            name: "Measurements",
            dependencies: ["Probes", "KalmSupport"]
        ),
        // Exposition formats, the metric catalogue, the scrape cache and the HTTP server.
        .target(
            name: "Exporter",
            dependencies: ["Measurements", "Probes", "KalmSupport", "CZlib", "CCrypt",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "NIOTLS", package: "swift-nio")] + nio
        ),
        // kalm's commands as a library: config, kalm run, the agent runtime, demo, systemd.
        .target(
            name: "Agent",
            dependencies: [
                "Probes", "Measurements", "Exporter", "KalmSupport", "CKalm",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ] + nio
        ),
        // The `kalm` executable: parses the command line and runs Agent's commands.
        .executableTarget(
            name: "kalm",
            dependencies: ["Agent"]
        ),
        // NIO fault-injection server the tests and benchmarks aim at (not shipped).
        .target(
            name: "TestServer",
            dependencies: ["CZlib", "KalmSupport"] + nio
        ),
        // What every test target shares: child processes, HTTP through curl, raw sockets,
        // event-driven waits, the Prometheus text parser, temp files.
        .target(
            name: "KalmTestSupport",
            dependencies: ["KalmSupport", .product(name: "NIOEmbedded", package: "swift-nio")] + nio,
            path: "Tests/KalmTestSupport"
        ),
        .testTarget(
            name: "ProbesTests",
            dependencies: ["Probes", "Measurements", "TestServer", "KalmTestSupport"],
            swiftSettings: swift5
        ),
        .testTarget(
            name: "MeasurementsTests",
            dependencies: ["Measurements", "Probes", "KalmTestSupport"]
        ),
        .testTarget(
            name: "ExporterTests",
            dependencies: ["Exporter", "Measurements", "Probes", "KalmTestSupport",
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")],
            resources: [.copy("Golden")]
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: ["Agent", "Probes", "Measurements", "Exporter", "TestServer", "KalmTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TestServerTests",
            dependencies: ["TestServer", "KalmTestSupport"]
        ),
    ]
)
