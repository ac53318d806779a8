/// Why a configuration could not be loaded: every problem found, each with its place in the file.
///
/// Loading collects all problems it can find (in file order, at most ``ConfigError/maximumDiagnostics``)
/// instead of stopping at the first, so one run of `keel check-config` shows everything to fix.
/// `description` prints one problem per line as `file:line:col: key.path: message`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem a diagnostic reports.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short stable identifier such as `unknown_key`.
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The file could not be read.
        public static let unreadableFile = Code("unreadable_file")
        /// The text is not valid YAML (or uses a YAML feature Keel does not accept).
        public static let syntax = Code("syntax")
        /// A key appears twice in the same mapping.
        public static let duplicateKey = Code("duplicate_key")
        /// A key that is not part of the configuration shape.
        public static let unknownKey = Code("unknown_key")
        /// A value of the wrong type (a string where an integer belongs, a list where a mapping belongs…).
        public static let typeMismatch = Code("type_mismatch")
        /// A required value is absent.
        public static let missingValue = Code("missing_value")
        /// A value has the right type but is not allowed (out of range, malformed address, unknown choice…).
        public static let invalidValue = Code("invalid_value")
        /// A `${VAR}` reference names a variable that is not set and has no default.
        public static let undefinedVariable = Code("undefined_variable")
        /// A malformed `${…}` reference.
        public static let invalidInterpolation = Code("invalid_interpolation")
        /// A name that should refer to another part of the configuration (a provider, a model) does not.
        public static let unknownReference = Code("unknown_reference")

        public var description: String { rawValue }
    }

    /// The most diagnostics one error carries; the rest are counted in ``omittedCount``.
    public static let maximumDiagnostics = 50

    /// The problems, in file order.
    public let diagnostics: [ConfigDiagnostic]
    /// How many further problems were found but left out to keep the report readable.
    public let omittedCount: Int

    /// Creates an error from problems in any order; they are sorted by position and capped.
    public init(_ diagnostics: [ConfigDiagnostic]) {
        let ordered = diagnostics.enumerated().sorted { lhs, rhs in
            let (l, r) = (lhs.element, rhs.element)
            if l.file != r.file { return lhs.offset < rhs.offset }
            if l.line != r.line { return l.line < r.line }
            if l.column != r.column { return l.column < r.column }
            return lhs.offset < rhs.offset
        }.map(\.element)
        self.diagnostics = Array(ordered.prefix(Self.maximumDiagnostics))
        self.omittedCount = max(0, ordered.count - Self.maximumDiagnostics)
    }

    /// The code of the first problem (the one earliest in the file).
    public var code: Code { diagnostics.first?.code ?? .invalidValue }

    public var description: String {
        var lines = diagnostics.map(\.description)
        if omittedCount > 0 {
            lines.append("… and \(omittedCount) more error\(omittedCount == 1 ? "" : "s") not shown")
        }
        return lines.joined(separator: "\n")
    }
}

/// One problem in a configuration file.
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// The file name as given to the loader.
    public var file: String
    /// The 1-based line, or 0 when the problem has no position (an unreadable file).
    public var line: Int
    /// The 1-based column, or 0 when the problem has no position.
    public var column: Int
    /// Where in the configuration the problem is, e.g. `models[0].routes[1]`; empty for the document itself.
    public var keyPath: String
    /// What is wrong, e.g. `unknown key "wieght" (did you mean "weight"?)`.
    public var message: String
    /// The kind of problem.
    public var code: ConfigError.Code

    /// Creates a diagnostic; use line and column 0 when the problem has no position.
    public init(file: String, line: Int, column: Int, keyPath: String, message: String, code: ConfigError.Code) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
        self.code = code
    }

    /// `file:line:col: key.path: message`, leaving out the parts that are unknown.
    public var description: String {
        var text = file
        if line > 0 {
            text += ":\(line)"
            if column > 0 { text += ":\(column)" }
        }
        text += ": "
        if !keyPath.isEmpty { text += keyPath + ": " }
        return text + message
    }
}
