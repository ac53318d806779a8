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
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError([ConfigDiagnostic(
                file: path, line: 0, column: 0, keyPath: "",
                message: "cannot read the configuration file: \(describe(error))", code: .unreadableFile
            )])
        }
        return try decode(bytes: data, fileName: path, environment: environment)
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

    private static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain, let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        switch nsError.code {
        case NSFileReadNoSuchFileError: return "no such file"
        case NSFileReadNoPermissionError: return "permission denied"
        default: return nsError.localizedDescription
        }
    }
}
