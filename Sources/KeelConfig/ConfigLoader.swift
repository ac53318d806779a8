import Foundation

/// Reads Keel's YAML configuration: parses it (libyaml), interpolates `${VAR}` references from the
/// given environment, decodes it strictly (unknown keys, wrong types, bad references are errors)
/// and reports every problem at once as a ``ConfigError``.
public enum ConfigLoader {
    /// Loads the configuration file at `path`. A missing or unreadable file is a `ConfigError` too.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> KeelConfig {
        let bytes: [UInt8]
        switch readFile(path) {
        case .success(let contents):
            bytes = contents
        case .failure(let reason):
            throw ConfigError([ConfigDiagnostic(
                file: path, line: 0, column: 0, keyPath: "",
                message: "cannot read the configuration file: \(reason.message)", code: .unreadableFile
            )])
        }
        return try decode(bytes: bytes, fileName: path, environment: environment)
    }

    /// Parses configuration text; `fileName` is only used in error messages.
    public static func parse(yaml: String, fileName: String, environment: [String: String]) throws(ConfigError) -> KeelConfig {
        try decode(bytes: Array(yaml.utf8), fileName: fileName, environment: environment)
    }

    private static func decode(bytes: some Collection<UInt8>, fileName: String, environment: [String: String]) throws(ConfigError) -> KeelConfig {
        let document = try YAMLDocument.parse(bytes: bytes, fileName: fileName)
        let context = DecodingContext(fileName: fileName, environment: environment)
        context.add(document.diagnostics)
        var config = KeelConfig()
        if let root = document.root {
            config = KeelConfig(decoding: ConfigValue(node: root, path: .root, context: context))
        }
        guard context.diagnostics.isEmpty else { throw ConfigError(context.diagnostics) }
        return config
    }

    private struct ReadFailure: Error {
        var message: String
    }

    /// Reads a whole file, keeping the system's reason on failure ("No such file or directory", "Is a directory").
    private static func readFile(_ path: String) -> Result<[UInt8], ReadFailure> {
        func failure() -> Result<[UInt8], ReadFailure> { .failure(ReadFailure(message: String(cString: strerror(errno)))) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return failure() }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return failure()
            }
            if count == 0 { return .success(contents) }
            contents += chunk[..<count]
        }
    }
}
