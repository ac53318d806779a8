// swift-tools-version: 6.0
import PackageDescription

// Coverage-guided fuzz targets for Keel's parsers and detectors (libFuzzer, from the Swift toolchain).
// Built apart from the main package because they need the toolchain's fuzzer and address sanitizer:
// `make fuzz` (or `fuzz/run`) builds and runs them; see fuzz/README.md.
let package = Package(
    name: "keel-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "keel", path: "..")],
    targets: [
        .systemLibrary(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        .target(
            name: "FuzzGuardrailsSupport",
            dependencies: [.product(name: "KeelGuardrails", package: "keel"), .product(name: "KeelConfig", package: "keel")]
        ),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzSupport", .product(name: "KeelCore", package: "keel")]),
        .executableTarget(
            name: "FuzzConfig",
            dependencies: ["FuzzSupport", .product(name: "KeelConfig", package: "keel"), .product(name: "KeelGuardrails", package: "keel")]
        ),
        .executableTarget(
            name: "FuzzGuardrails",
            dependencies: ["FuzzSupport", "FuzzGuardrailsSupport", .product(name: "KeelGuardrails", package: "keel")]
        ),
        .executableTarget(
            name: "FuzzStreamRedactor",
            dependencies: ["FuzzSupport", "FuzzGuardrailsSupport", .product(name: "KeelGuardrails", package: "keel")]
        ),
        .executableTarget(
            name: "FuzzChatCodecs",
            dependencies: ["FuzzSupport", .product(name: "KeelGateway", package: "keel"), .product(name: "KeelCore", package: "keel"), .product(name: "KeelHTTP", package: "keel")]
        ),
        .executableTarget(name: "FuzzUpstreamStream", dependencies: ["FuzzSupport", .product(name: "KeelGateway", package: "keel")]),
    ],
    swiftLanguageModes: [.v6]
)
