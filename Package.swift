// swift-tools-version:6.0
import PackageDescription

// Swift 5 language mode: the engine hands raw libcurl pointers between a
// loop thread and its VUs; strict Sendable checking would force
// @unchecked wrappers on nearly every type without catching real bugs
// (each pointer is owned by exactly one engine thread).
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "kalm",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kalm", targets: ["Agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
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
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "Probes",
            dependencies: ["CCurl"],
            swiftSettings: swift5
        ),
        .target(
            name: "Exporter",
            dependencies: [
                "Probes", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift5
        ),
        .executableTarget(
            name: "Agent",
            dependencies: [
                "Probes", "Exporter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swift5
        ),
        .target(
            name: "TestServer",
            dependencies: [
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swift5
        ),
        .testTarget(
            name: "ProbesTests",
            dependencies: ["Probes", "Exporter", "TestServer"],
            swiftSettings: swift5
        ),
        .testTarget(
            name: "ExporterTests",
            dependencies: ["Exporter", "Probes"],
            resources: [.copy("Golden")],
            swiftSettings: swift5
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: ["Agent", "Probes", "Exporter", "TestServer"],
            resources: [.copy("Fixtures")],
            swiftSettings: swift5
        ),
        .testTarget(
            name: "TestServerTests",
            dependencies: ["TestServer"],
            swiftSettings: swift5
        ),
    ]
)
