// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Keep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "keep-controller", targets: ["keep-controller"]),
        .executable(name: "keep-agent", targets: ["keep-agent"]),
        .executable(name: "keepctl", targets: ["keepctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries of the system: OpenSSL 3 (libssl-dev) and zstd (libzstd-dev).
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        .target(name: "KeepCore", dependencies: [.product(name: "Yams", package: "Yams")]),
        // The only Swift module that sees OpenSSL: hashing, AEAD, KDF, X.509/PKI and the TLS channel handler.
        .target(
            name: "KeepCrypto",
            dependencies: [
                "COpenSSL", "KeepCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "KeepProtocol",
            dependencies: [
                "KeepCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // Sockets: TLS + framing pipelines for the listener and the dialers, shared by all three programs.
        .target(
            name: "KeepTransport",
            dependencies: [
                "KeepCore", "KeepCrypto", "KeepProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "KeepStore", dependencies: ["KeepCore", "KeepCrypto", "CZstd"]),
        .target(
            name: "KeepCatalog",
            dependencies: ["KeepCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "KeepAgent",
            dependencies: [
                "KeepCore", "KeepCrypto", "KeepProtocol", "KeepStore", "KeepTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "KeepController",
            dependencies: [
                "KeepCore", "KeepCrypto", "KeepProtocol", "KeepStore", "KeepCatalog", "KeepTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "KeepCommands",
            dependencies: [
                "KeepCore", "KeepCrypto", "KeepProtocol", "KeepTransport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "KeepTestSupport",
            dependencies: [
                "KeepCore", "KeepCrypto", "KeepProtocol", "KeepTransport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "keep-controller",
            dependencies: [
                "KeepController", "KeepTransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "keep-agent",
            dependencies: [
                "KeepAgent", "KeepTransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "keepctl", dependencies: ["KeepCommands"]),
        // Benchmarks/transport.sh: TLS + framing throughput over loopback, beside plain TCP.
        .executableTarget(
            name: "keep-transport-bench",
            dependencies: [
                "KeepCore", "KeepCrypto", "KeepProtocol", "KeepTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "KeepCoreTests", dependencies: ["KeepCore"]),
        .testTarget(
            name: "KeepCryptoTests",
            dependencies: [
                "KeepCrypto", "KeepTestSupport", "KeepCommands",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "KeepProtocolTests",
            dependencies: ["KeepProtocol", .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        .testTarget(name: "KeepStoreTests", dependencies: ["KeepStore"]),
        .testTarget(
            name: "KeepCatalogTests",
            // GRDB: the migration test writes a catalog at an old schema version.
            dependencies: ["KeepCatalog", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "KeepAgentTests", dependencies: ["KeepAgent", "KeepStore"]),
        .testTarget(
            name: "KeepIntegrationTests",
            dependencies: [
                "KeepTestSupport", "KeepCore", "KeepCrypto", "KeepProtocol", "KeepTransport", "KeepController", "KeepAgent",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "KeepCommandsTests", dependencies: ["KeepCommands", "KeepCore", "KeepProtocol"]),
    ],
    swiftLanguageModes: [.v6]
)
