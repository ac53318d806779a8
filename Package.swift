// swift-tools-version: 6.0
import PackageDescription

// Layering (see README "Code map"):
//   C…            system-library modules for the Debian C libraries Keel links
//   KeelCore      logging, secrets, hashing — shared by everything above
//   KeelHTTP      the HTTP engine: server (libmicrohttpd) and client (libcurl)
//   KeelConfig    the YAML configuration and its validation
//   KeelStore     the embedded store (SQLite) behind the Store interface
//   KeelTelemetry metrics (Prometheus text format) and process metrics
//   KeelGovernance teams, virtual keys, roles, SSO tokens, budgets, rate limits, audit log
//   KeelGuardrails detectors (PII, secrets, prompt injection), redaction and policies
//   KeelGateway   the model gateway: provider wire formats, translation, routing
//   KeelServer    the composition root: builds and runs the application
//   keel          the command line
let package = Package(
    name: "keel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "keel", targets: ["keel"]),
        // For the fuzz targets in fuzz/, a package of their own.
        .library(name: "KeelCore", targets: ["KeelCore"]),
        .library(name: "KeelConfig", targets: ["KeelConfig"]),
        .library(name: "KeelGuardrails", targets: ["KeelGuardrails"]),
        .library(name: "KeelGateway", targets: ["KeelGateway"]),
        .library(name: "KeelHTTP", targets: ["KeelHTTP"]),
    ],
    targets: [
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CVectorscan", pkgConfig: "libhs", providers: [.apt(["libvectorscan-dev"])]),

        .target(name: "KeelCore", dependencies: ["CCrypto"]),
        .target(name: "KeelHTTP", dependencies: ["KeelCore", "CMicroHTTPD", "CCurl"]),
        .target(name: "KeelConfig", dependencies: ["KeelCore", "CYAML"]),
        .target(name: "KeelStore", dependencies: ["KeelCore", "CSQLite"]),
        .target(name: "KeelTelemetry", dependencies: ["KeelCore", "KeelHTTP"]),
        .target(name: "KeelGovernance", dependencies: ["KeelCore", "KeelHTTP", "KeelConfig", "KeelStore", "CCrypto"]),
        .target(name: "KeelGuardrails", dependencies: ["KeelCore", "KeelConfig", "CVectorscan"]),
        .target(
            name: "KeelGateway",
            dependencies: ["KeelCore", "KeelHTTP", "KeelConfig", "KeelStore", "KeelTelemetry", "KeelGovernance", "KeelGuardrails"]
        ),
        .target(
            name: "KeelServer",
            dependencies: ["KeelCore", "KeelHTTP", "KeelConfig", "KeelStore", "KeelTelemetry", "KeelGovernance", "KeelGuardrails", "KeelGateway"]
        ),
        .executableTarget(name: "keel", dependencies: ["KeelServer", "KeelConfig", "KeelCore", "KeelHTTP", "KeelStore", "KeelGovernance", "KeelGuardrails"]),

        .executableTarget(name: "keel-bench-server", dependencies: ["KeelHTTP", "KeelCore"], path: "bench/EchoServer"),
        .target(name: "KeelBenchSupport", path: "bench/Support"),
        .executableTarget(name: "keel-json-bench", dependencies: ["KeelCore", "KeelBenchSupport"], path: "bench/JSONBench"),
        .executableTarget(name: "keel-span-bench", dependencies: ["KeelTelemetry", "KeelCore", "KeelBenchSupport"], path: "bench/SpanBench"),
        .executableTarget(name: "keel-guardrails-eval", dependencies: ["KeelGuardrails", "KeelCore"], path: "bench/GuardrailsEval"),

        .target(name: "KeelTestSupport", dependencies: ["KeelCore", "KeelHTTP", "KeelServer", "KeelConfig", "KeelStore", "KeelGateway"]),
        .executableTarget(
            name: "keel-fake-upstream",
            dependencies: ["KeelTestSupport", "KeelServer"],
            path: "tests/conformance/FakeUpstream"
        ),
        .testTarget(name: "KeelCoreTests", dependencies: ["KeelCore"]),
        .testTarget(name: "KeelHTTPTests", dependencies: ["KeelHTTP", "KeelTestSupport"]),
        .testTarget(name: "KeelConfigTests", dependencies: ["KeelConfig", "KeelTestSupport"]),
        .testTarget(name: "KeelStoreTests", dependencies: ["KeelStore", "KeelTestSupport"]),
        .testTarget(name: "KeelGovernanceTests", dependencies: ["KeelGovernance", "KeelTestSupport"]),
        .testTarget(name: "KeelGuardrailsTests", dependencies: ["KeelGuardrails", "KeelTestSupport"]),
        .testTarget(name: "KeelGatewayTests", dependencies: ["KeelGateway", "KeelTestSupport"]),
        .testTarget(name: "KeelServerTests", dependencies: ["KeelServer", "KeelTelemetry", "KeelTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
