/// State shared while decoding one configuration file: where it came from, the environment used for
/// interpolation, the problems found so far and the cross references to check at the end.
final class DecodingContext {
    /// A name that must refer to something defined elsewhere in the file, checked once everything is read.
    struct Reference {
        enum Target { case provider, model }

        var target: Target
        var name: String
        /// The value that holds the name (for the error position).
        var value: ConfigValue
        /// The model whose fallback list holds the reference (a model may not fall back to itself).
        var owner: String?
    }

    let fileName: String
    let interpolator: Interpolator
    private(set) var diagnostics: [ConfigDiagnostic] = []
    var references: [Reference] = []
    /// Every key of `providers:`, including providers that failed to decode (so that routes naming
    /// them do not get a second, misleading "unknown provider" error).
    var declaredProviders: [String] = []

    init(fileName: String, environment: [String: String]) {
        self.fileName = fileName
        self.interpolator = Interpolator(environment: environment)
    }

    func report(_ message: String, at mark: SourceMark, path: ConfigPath, code: ConfigError.Code) {
        diagnostics.append(ConfigDiagnostic(
            file: fileName, line: mark.line, column: mark.column,
            keyPath: path.description, message: message, code: code
        ))
    }

    func add(_ diagnostics: [ConfigDiagnostic]) {
        self.diagnostics += diagnostics
    }
}
