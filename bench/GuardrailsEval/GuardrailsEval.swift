import Foundation
import KeelGuardrails

/// Drives the guardrail detectors for `scripts/guardrails/evaluate.py` and measures their speed.
///
///     keel-guardrails-eval [--detector prompt_injection] < texts.jsonl > scores.jsonl
///     keel-guardrails-eval --bench [--runs N]
///
/// Input lines are JSON strings or objects with a `text` member; each produces one output line
/// `{"score": S}` in the same order. `--bench` prints the classifier's cost in microseconds per KB of
/// input (median over runs) for generated texts of several sizes.
@main
struct GuardrailsEval {
    static func main() {
        var args = Array(CommandLine.arguments.dropFirst())
        if args.contains("--help") || args.contains("-h") {
            print(usage)
            return
        }
        var runs = 7
        if let i = args.firstIndex(of: "--runs") {
            guard i + 1 < args.count, let n = Int(args[i + 1]), n > 0 else { fail("--runs needs a positive number") }
            runs = n
            args.removeSubrange(i...(i + 1))
        }
        if args.first == "--bench" {
            Benchmark.run(runs: runs)
            return
        }
        if let i = args.firstIndex(of: "--detector") {
            guard i + 1 < args.count else { fail("--detector needs a NAME") }
            guard args[i + 1] == "prompt_injection" else {
                fail("unknown detector \(args[i + 1]); this driver scores prompt_injection (the classifier)")
            }
            args.removeSubrange(i...(i + 1))
        }
        guard args.isEmpty else { fail("unexpected argument \(args[0])") }
        score()
    }

    static let usage = """
        usage: keel-guardrails-eval [--detector prompt_injection] < texts.jsonl
               keel-guardrails-eval --bench [--runs N]
        Reads one JSON string or {"text": ...} per line and prints {"score": S} per line.
        """

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("keel-guardrails-eval: \(message)\n\(usage)\n".utf8))
        exit(2)
    }

    static func score() {
        let classifier = PromptInjectionClassifier()
        var output = ""
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.isEmpty { continue }
            guard let value = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            else { fail("line \(lineNumber) is not JSON") }
            let text: String
            if let s = value as? String {
                text = s
            } else if let object = value as? [String: Any], let s = object["text"] as? String {
                text = s
            } else {
                fail("line \(lineNumber) is neither a JSON string nor an object with a text member")
            }
            output += "{\"score\":\(classifier.score(text))}\n"
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
