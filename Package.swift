// swift-tools-version:6.1
import PackageDescription

/// The message path's targets skip dynamic exclusivity checks in release builds: every message
/// crosses class properties the checks would guard, at a cost perf shows per message. Debug
/// builds, which the tests also run, keep them, so a violation still traps there.
let messagePathSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "mahavishnu",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mahavishnu", targets: ["mahavishnu"]),
        .executable(name: "mahavishnu-pool", targets: ["mahavishnu-pool"]),
        .executable(name: "mahavishnu-guard", targets: ["mahavishnu-guard"]),
        .library(name: "Mahavishnu", targets: ["Mahavishnu"]),
        .library(name: "MahavishnuMemory", targets: ["MahavishnuMemory"]),
        .executable(name: "mahavishnu-bench", targets: ["mahavishnu-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // Already built for the MCP SDK: the broker's HTTP listener costs no new package.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], swiftSettings: messagePathSettings),
        // zlib's CRC-32 for the journal's record checksums: fast in a debug build too.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CProcessSpawn"),
        // The guardian a pool starts each worker program under: C, linked statically, so that no
        // shared library loads and it adds about a millisecond to a program's start whatever the
        // pool's size (the linker warns that the Swift runtime it links anyway could call dlopen; the
        // guardian never runs that code).
        .executableTarget(name: "mahavishnu-guard", dependencies: ["CProcessSpawn"], linkerSettings: [.unsafeFlags(["-static-executable"])]),
        // Starting child processes, the one way: under a guardian, with non-blocking pipes and a
        // pidfd for the exit; a thread that keeps children (stderr forwarded, signals, reaping).
        .target(name: "MahavishnuProcess", dependencies: ["CProcessSpawn", "ZeroMQ"]),
        .target(
            name: "MahavishnuCore",
            dependencies: [
                "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: messagePathSettings
        ),
        .target(
            name: "MahavishnuBroker",
            dependencies: [
                "ZeroMQ", "MahavishnuCore", "MahavishnuProcess", "CZlib",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: messagePathSettings
        ),
        // A small HTTP/1.1 server on SwiftNIO, for the broker's /metrics and dashboard: off the router thread.
        .target(
            name: "MahavishnuHTTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "MahavishnuPool",
            dependencies: [
                "ZeroMQ", "MahavishnuCore", "MahavishnuProcess",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: messagePathSettings
        ),
        .target(
            name: "MahavishnuSessionBuddy",
            dependencies: [
                "MahavishnuPool", "MahavishnuCore", "MahavishnuProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
        .target(
            name: "MahavishnuClient",
            dependencies: [
                "ZeroMQ", "MahavishnuCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Mahavishnu",
            dependencies: [
                "MahavishnuClient", "MahavishnuCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The result store (SQLite through GRDB) and the aggregator that fills it from the bus: a
        // module of its own so that the client API, and every producer, links no SQLite.
        .target(
            name: "MahavishnuMemory",
            dependencies: [
                "MahavishnuClient", "MahavishnuCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // A whole broker process (router, bus proxy, the broker's bus client, memory aggregator) as
        // one lifecycle Service: what `mahavishnu broker` runs, and what a program or test embeds.
        .target(
            name: "MahavishnuBrokerService",
            dependencies: [
                "MahavishnuBroker", "MahavishnuClient", "MahavishnuMemory", "MahavishnuCore", "MahavishnuHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "MahavishnuMCP",
            dependencies: [
                "Mahavishnu", "MahavishnuMemory", "MahavishnuCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "MahavishnuCommandCore",
            dependencies: [
                "MahavishnuCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "MahavishnuPoolCommand",
            dependencies: [
                "MahavishnuCommandCore", "MahavishnuPool", "MahavishnuClient", "MahavishnuCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "MahavishnuCLI",
            dependencies: [
                "Mahavishnu", "MahavishnuMemory", "MahavishnuBroker", "MahavishnuBrokerService", "MahavishnuSessionBuddy", "MahavishnuCore", "MahavishnuMCP",
                "MahavishnuCommandCore", "MahavishnuPoolCommand",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // mahavishnu-pool is not linked in: it is built with mahavishnu, whose broker starts it.
        .executableTarget(name: "mahavishnu", dependencies: ["MahavishnuCLI", "mahavishnu-pool"]),
        // The pool process the broker starts: only pool code, and in release builds on Linux the
        // Swift runtime and Foundation linked in statically, so that it maps only the pages it uses
        // rather than whole shared libraries. Compiling its entry point with -static-stdlib too
        // makes it name the libraries static Foundation needs (CoreFoundation, ICU) to the linker.
        // mahavishnu-guard is not linked in either: the pool starts its worker programs under it.
        .executableTarget(
            name: "mahavishnu-pool",
            dependencies: ["MahavishnuPoolCommand", "mahavishnu-guard"],
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))],
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))]
        ),
        .executableTarget(name: "mahavishnu-example-producer", dependencies: ["Mahavishnu"], path: "examples/swift-producer"),
        .executableTarget(name: "mahavishnu-example-delegation", dependencies: ["Mahavishnu"], path: "examples/swift-delegation"),
        .executableTarget(
            name: "mahavishnu-bench",
            dependencies: [
                "MahavishnuCore", "ZeroMQ", "MahavishnuProcess",
                // Not linked: building the bench builds the broker and pool executables it measures, and its floor.
                "mahavishnu", "mahavishnu-pool", "mahavishnu-cfloor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "bench",
            exclude: ["python_client_bench.py", "cfloor"]
        ),
        // The bench's floor, in C on libzmq alone: its load generator, a minimal credit broker, echo workers.
        .executableTarget(name: "mahavishnu-cfloor", path: "bench/cfloor", linkerSettings: [.linkedLibrary("zmq")]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "MahavishnuCoreTests", dependencies: ["MahavishnuCore", "ZeroMQ"]),
        .testTarget(
            name: "MahavishnuMCPTests",
            dependencies: ["MahavishnuMCP", "Mahavishnu", .product(name: "MCP", package: "swift-sdk")]
        ),
        .testTarget(
            name: "MahavishnuBrokerTests",
            dependencies: ["MahavishnuBroker", "MahavishnuCore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "MahavishnuClientTests", dependencies: ["MahavishnuClient"]),
        .testTarget(
            name: "MahavishnuPoolTests",
            dependencies: ["MahavishnuPool", "MahavishnuPoolCommand", "MahavishnuCommandCore", "MahavishnuCore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "MahavishnuMemoryTests", dependencies: ["MahavishnuMemory", "MahavishnuCore"]),
        .testTarget(
            name: "MahavishnuBrokerServiceTests",
            dependencies: ["MahavishnuBrokerService", "Mahavishnu", "MahavishnuBroker", "MahavishnuMemory", "MahavishnuCore", "ZeroMQ", "mahavishnu-pool"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Mahavishnu", "MahavishnuMemory", "MahavishnuCore", "MahavishnuProcess", "ZeroMQ",
                "mahavishnu", "mahavishnu-pool", "mahavishnu-example-producer", "mahavishnu-example-delegation",
            ]
        ),
    ]
)
