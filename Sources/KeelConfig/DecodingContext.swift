/// State shared while decoding one configuration file: where it came from, the environment used for
/// interpolation, the problems found so far and the cross references to check at the end.
final class DecodingContext {
    /// A name that must refer to something defined elsewhere in the file, checked once everything is read.
    struct Reference {
        enum Target { case provider, model }

        var target: Target
        var name: String
        /// Where the name is written (for the error position). Not the `ConfigValue` itself: that
        /// holds this context, and the cycle would keep every decoded file alive.
        var mark: SourceMark
        var path: ConfigPath
        /// The model whose fallback list holds the reference (a model may not fall back to itself).
        var owner: String?

        init(target: Target, name: String, value: ConfigValue, owner: String?) {
            self.target = target
            self.name = name
            self.mark = value.mark
            self.path = value.path
            self.owner = owner
        }
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
