#if canImport(Glibc)
import Glibc
#endif
import KeelConfig
import KeelCore
import KeelGuardrails

/// `keel guard scan`: applies a guardrails policy to a file from the command line.
enum GuardCommand {
    static let usage = """
    USAGE
      keel guard scan FILE [--policy NAME] [--config FILE] [--source input|output] [--role ROLE] [--jsonl]
      keel guard scan FILE --bench [--policy NAME] [--config FILE] [--source input|output] [--iterations N]

    Applies the guardrails policy NAME (default: "default") to the text in FILE ("-" reads standard
    input) and prints the result as JSON: {"action", "policy", "content", "findings": [{"detector",
    "type", "start", "end", "score", "action"}]}, with start/end in Unicode code points. Policies
    come from --config FILE (default: keel.yaml when it exists); the compliance packs hipaa, pci and
    gdpr are always available.

    --role ROLE  the text's role: system, user, assistant or tool (input only). An input entry
                 scans the text only if its roles cover ROLE, as on the chat gateway (by default
                 prompt_injection leaves out system); without --role every entry scans it
    --jsonl      each line of FILE is a JSON string or an object {"text": ..., "role"?: ROLE}; a
                 line's role overrides --role; one result line is printed per input line
    --bench      instead of printing results, time every detector of the policy, the whole
                 policy, and the policy's entries on FILE's text streamed in 16-byte chunks, and
                 print microseconds per KB (median of 3 runs)

    EXIT CODES
      0 allowed, flagged or redacted; 1 blocked (any line, with --jsonl); 2 bad usage
    """

    static func run(_ args: [String]) -> Int32 {
        if args.isEmpty || args.contains("--help") || args.contains("-h") {
            if args.isEmpty { return KeelCommand.usageError("guard needs a subcommand", usage) }
            print(usage)
            return 0
        }
        guard args[0] == "scan" else { return KeelCommand.usageError("unknown guard subcommand '\(args[0])'", usage) }
        var file: String?
        var policyName = "default"
        var configPath: String?
        var source = GuardrailSource.input
        var role: GuardrailRole?
        var jsonl = false
        var bench = false
        var iterations: Int?
        var i = 1
        func value(_ option: String) -> String? {
            guard i + 1 < args.count else { return nil }
            i += 1
            return args[i]
        }
        while i < args.count {
            let arg = args[i]
            switch arg {
            case "--policy":
                guard let v = value(arg) else { return KeelCommand.usageError("--policy needs a NAME", usage) }
                policyName = v
            case "--config", "-c":
                guard let v = value(arg) else { return KeelCommand.usageError("--config needs a FILE", usage) }
                configPath = v
            case "--source":
                guard let v = value(arg), let parsed = GuardrailSource(rawValue: v) else {
                    return KeelCommand.usageError("--source must be input or output", usage)
                }
                source = parsed
            case "--role":
                guard let v = value(arg), let parsed = GuardrailRole(rawValue: v) else {
                    return KeelCommand.usageError("--role must be \(roleNames)", usage)
                }
                role = parsed
            case "--iterations":
                guard let v = value(arg), let n = Int(v), n > 0 else { return KeelCommand.usageError("--iterations needs a positive number", usage) }
                iterations = n
            case "--jsonl":
                jsonl = true
            case "--bench":
                bench = true
            default:
                if arg.hasPrefix("-") && arg != "-" { return KeelCommand.usageError("unknown option '\(arg)'", usage) }
                guard file == nil else { return KeelCommand.usageError("guard scan takes one FILE", usage) }
                file = arg
            }
            i += 1
        }
        guard let file else { return KeelCommand.usageError("guard scan needs a FILE", usage) }
        if role != nil && source == .output {
            return KeelCommand.usageError("--role applies to --source input only: output texts have no role", usage)
        }
        if role != nil && bench {
            return KeelCommand.usageError("--role does not apply to --bench", usage)
        }

        var guardrailsConfig = GuardrailsConfig()
        let path = configPath ?? (access("keel.yaml", R_OK) == 0 ? "keel.yaml" : nil)
        if let path {
            do {
                guardrailsConfig = try ConfigLoader.load(path: path).guardrails
            } catch {
                KeelCommand.printError(error.description)
                return 2
            }
        }
        let guardrails: Guardrails
        do {
            guardrails = try Guardrails(config: guardrailsConfig)
        } catch {
            KeelCommand.printError("keel: guardrails: \(error.message)")
            return 2
        }
        guard let policy = guardrails.policy(named: policyName) else {
            return KeelCommand.usageError("unknown policy '\(policyName)' (available: \(guardrails.policyNames.joined(separator: ", ")))", usage)
        }
        guard let bytes = readAll(file) else {
            KeelCommand.printError("keel: cannot read \(file): \(String(cString: strerror(errno)))")
            return 2
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if bench {
            GuardBench.run(text: text, guardrails: guardrails, policy: policy, source: source, iterations: iterations)
            return 0
        }
        guard jsonl else {
            let outcome = guardrails.apply([text], roles: role.map { [$0] }, source: source, policy: policy)
            print(outcome.json().serializedString())
            return outcome.isBlocked ? 1 : 0
        }
        var anyBlocked = false
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\r" || $0 == "\t" }) { continue }
            let item: String
            var itemRole = role
            do {
                let value = try JSONValue(parsing: String(line))
                if let string = value.stringValue {
                    item = string
                } else if let string = value["text"]?.stringValue {
                    item = string
                    if let given = value["role"], !given.isNull {
                        guard let name = given.stringValue, let parsed = GuardrailRole(rawValue: name) else {
                            KeelCommand.printError("keel: \(file):\(lineNumber): \"role\" must be \(roleNames)")
                            return 2
                        }
                        guard source == .input else {
                            KeelCommand.printError("keel: \(file):\(lineNumber): \"role\" applies to --source input only: output texts have no role")
                            return 2
                        }
                        itemRole = parsed
                    }
                } else {
                    KeelCommand.printError("keel: \(file):\(lineNumber): expected a JSON string or an object with a \"text\" string")
                    return 2
                }
            } catch {
                KeelCommand.printError("keel: \(file):\(lineNumber): invalid JSON: \(error.message)")
                return 2
            }
            let outcome = guardrails.apply([item], roles: itemRole.map { [$0] }, source: source, policy: policy)
            anyBlocked = anyBlocked || outcome.isBlocked
            print(outcome.json().serializedString())
        }
        return anyBlocked ? 1 : 0
    }

    /// The roles `--role` and a line's `"role"` accept, for messages: "system, user, assistant or tool".
    static let roleNames: String = {
        let names = GuardrailRole.allCases.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }()

    /// The whole file, or standard input for "-".
    static func readAll(_ path: String) -> [UInt8]? {
        let descriptor = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { if descriptor != 0 { close(descriptor) } }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return contents }
            contents += chunk[..<count]
        }
    }
}

/// `keel guard scan --bench`: microseconds per KB for each detector of a policy and for the whole policy.
enum GuardBench {
    static func run(text: String, guardrails: Guardrails, policy: Policy, source: GuardrailSource, iterations: Int?) {
        let scan = ScanText(text)
        let kilobytes = Double(scan.bytes.count) / 1024
        print("text: \(scan.bytes.count) bytes, policy \(policy.name) (\(source.rawValue))")
        print("detector                 µs/KB      µs/scan   findings")
        for entry in policy.entries(for: source) {
            let findings = entry.detector.scan(scan).count
            let perScan = measure(iterations) { _ = entry.detector.scan(scan) }
            print(row(entry.detector.name, perScan / kilobytes, perScan, findings))
        }
        let outcome = guardrails.apply([text], source: source, policy: policy)
        let perApply = measure(iterations) { _ = guardrails.apply([text], source: source, policy: policy) }
        print(row("policy \(policy.name)", perApply / kilobytes, perApply, outcome.findings.count))
        // The same entries applied to the text streamed in 16-byte chunks (on scalar boundaries).
        var chunks: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if current.utf8.count >= 16 {
                chunks.append(current)
                current = ""
            }
        }
        if !current.isEmpty { chunks.append(current) }
        var streamed = 0
        let perStream = measure(iterations) {
            var redactor = StreamRedactor(entries: policy.entries(for: source))
            for chunk in chunks { _ = redactor.feed(chunk) }
            _ = redactor.finish()
            streamed = redactor.findings.count
        }
        print(row("stream, 16 B chunks", perStream / kilobytes, perStream, streamed))
    }

    private static func row(_ name: String, _ perKB: Double, _ perScan: Double, _ findings: Int) -> String {
        func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
            s.count >= width ? s : (left ? s + String(repeating: " ", count: width - s.count) : String(repeating: " ", count: width - s.count) + s)
        }
        return pad(name, 20, left: true) + pad(format(perKB), 11) + pad(format(perScan), 13) + pad(String(findings), 11)
    }

    /// One decimal, or two below 1 µs.
    private static func format(_ value: Double) -> String {
        let factor = value < 1 ? 100.0 : 10.0
        return String((value * factor).rounded() / factor)
    }

    /// The median over 3 runs of the mean time of one call, in microseconds. Each run repeats the
    /// call `iterations` times, or enough times to last about 0.2 s.
    private static func measure(_ iterations: Int?, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        body()
        var count = iterations ?? 1
        if iterations == nil {
            while true {
                let elapsed = clock.measure { for _ in 0..<count { body() } }
                if elapsed > .milliseconds(50) || count > 1_000_000 {
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    count = max(1, Int(Double(count) * 0.2 / seconds))
                    break
                }
                count *= 4
            }
        }
        var runs: [Double] = []
        for _ in 0..<3 {
            let elapsed = clock.measure { for _ in 0..<count { body() } }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            runs.append(seconds * 1e6 / Double(count))
        }
        return runs.sorted()[1]
    }
}
