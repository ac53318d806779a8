// Micro-benchmark: KeelCore's JSONParser/JSONWriter against Foundation's JSONSerialization.
//
//   swift build -c release --product keel-json-bench
//   .build/release/keel-json-bench [--runs 7] [--millis 150]
//
// For three documents (a ~1 KB chat request, a ~100 KB chat response with long strings,
// a ~1 MB array of small objects) it measures parse, serialise and parse+serialise, each
// as several timed runs of N iterations (N calibrated so a run takes about --millis), and
// prints the median ns/op and MB/s of input per second.

import Foundation
import KeelBenchSupport
import KeelCore

@main
struct JSONBench {
    static func main() {
        guard let (runs, millis) = timingArguments(program: "keel-json-bench", runs: 7, millis: 150.0) else { return }

        let documents: [(name: String, bytes: [UInt8])] = [
            ("chat request (8 messages)", Array(Documents.chatRequest().utf8)),
            ("chat response, long strings", Array(Documents.longResponse().utf8)),
            ("array of small objects", Array(Documents.smallObjects().utf8)),
        ]

        print("runs=\(runs), ~\(Int(millis)) ms per run; median over runs")
        print(pad("document", 30) + pad("size", 10) + pad("operation", 18)
            + pad("keel ns/op", 14) + pad("keel MB/s", 11)
            + pad("Foundation ns/op", 18) + pad("Fdn MB/s", 10) + "speed-up")
        for document in documents {
            verify(document.bytes)
            let results = measure(document.bytes, runs: runs, millis: millis)
            for result in results {
                let size = document.bytes.count
                print(pad(document.name, 30) + pad(formatSize(size), 10) + pad(result.operation, 18)
                    + pad(format(result.keel), 14) + pad(format(throughput(size, result.keel)), 11)
                    + pad(format(result.foundation), 18) + pad(format(throughput(size, result.foundation)), 10)
                    + String(format: "%.1fx", result.foundation / result.keel))
            }
        }
        lookupCost(millis: millis)
        print("checksum \(Sink.value)")
    }

    /// Per-lookup cost of a linear key scan against a hash index, to place
    /// `JSONObject.indexThreshold` (objects above it keep an index).
    static func lookupCost(millis: Double) {
        print("\nkey lookup (all keys of an object, ns per lookup): linear scan vs [String: Int]; "
            + "JSONObject.indexThreshold = \(JSONObject.indexThreshold)")
        for size in [4, 8, 12, 16, 24, 32, 64] {
            let keys = (0..<size).map { "field_\($0)" }
            let probes = keys.shuffled()
            var index: [String: Int] = [:]
            for (position, key) in keys.enumerated() { index[key] = position }
            let linear = medianNanoseconds(runs: 5, millis: millis / 4) {
                var found = 0
                for probe in probes {
                    for position in keys.indices where keys[position] == probe {
                        found &+= position
                        break
                    }
                }
                Sink.consume(found)
            }
            let hashed = medianNanoseconds(runs: 5, millis: millis / 4) {
                var found = 0
                for probe in probes { found &+= index[probe] ?? 0 }
                Sink.consume(found)
            }
            print("  \(pad(String(size), 4)) keys: linear \(format(linear / Double(size))) ns, "
                + "hash \(format(hashed / Double(size))) ns")
        }
    }

    struct Result {
        var operation: String
        var keel: Double
        var foundation: Double
    }

    /// Checks that both implementations accept the document and that ours round-trips it.
    static func verify(_ bytes: [UInt8]) {
        do {
            let value = try JSONValue(parsing: bytes)
            let again = try JSONValue(parsing: value.serialized())
            precondition(value == again, "round trip changed the document")
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            fatalError("benchmark input rejected: \(error)")
        }
    }

    static func measure(_ bytes: [UInt8], runs: Int, millis: Double) -> [Result] {
        let parser = JSONParser()
        let data = Data(bytes)
        let value = try! parser.parse(bytes)
        let object = try! JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])

        let keelParse = medianNanoseconds(runs: runs, millis: millis) {
            let parsed = try! parser.parse(bytes)
            Sink.consume(parsed.arrayValue?.count ?? 1)
        }
        let foundationParse = medianNanoseconds(runs: runs, millis: millis) {
            let parsed = try! JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            Sink.consume((parsed as? [Any])?.count ?? 1)
        }
        let keelWrite = medianNanoseconds(runs: runs, millis: millis) {
            Sink.consume(value.serialized().count)
        }
        let foundationWrite = medianNanoseconds(runs: runs, millis: millis) {
            Sink.consume(try! JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]).count)
        }
        let keelRoundTrip = medianNanoseconds(runs: runs, millis: millis) {
            let parsed = try! parser.parse(bytes)
            Sink.consume(parsed.serialized().count)
        }
        let foundationRoundTrip = medianNanoseconds(runs: runs, millis: millis) {
            let parsed = try! JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            Sink.consume(try! JSONSerialization.data(withJSONObject: parsed, options: [.fragmentsAllowed]).count)
        }
        return [
            Result(operation: "parse", keel: keelParse, foundation: foundationParse),
            Result(operation: "serialize", keel: keelWrite, foundation: foundationWrite),
            Result(operation: "parse+serialize", keel: keelRoundTrip, foundation: foundationRoundTrip),
        ]
    }

    static func throughput(_ bytes: Int, _ nanoseconds: Double) -> Double {
        Double(bytes) / nanoseconds * 1_000_000_000 / 1_000_000
    }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }

    static func formatSize(_ bytes: Int) -> String {
        bytes >= 1_000_000 ? String(format: "%.1f MB", Double(bytes) / 1_000_000)
            : bytes >= 1_000 ? String(format: "%.1f KB", Double(bytes) / 1_000) : "\(bytes) B"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

/// Keeps results observable so the optimiser cannot drop the measured work.
enum Sink {
    nonisolated(unsafe) static var value = 0

    @inline(never)
    static func consume(_ number: Int) {
        value &+= number
    }
}

/// Deterministic benchmark documents.
enum Documents {
    /// An OpenAI chat-completions request with a system prompt and 8 messages, about 1 KB.
    static func chatRequest() -> String {
        let turns = [
            ("system", "You are a helpful assistant. Answer briefly and cite sources when possible."),
            ("user", "What is the capital of France?"),
            ("assistant", "The capital of France is Paris."),
            ("user", "And how many people live there? Give the \\\"metro\\\" figure too."),
            ("assistant", "About 2.1 million in the city proper and roughly 12 million in the metro area."),
            ("user", "Translate \\\"good morning\\\" into French, Japanese (おはよう?) and Chinese."),
            ("assistant", "Bonjour; おはようございます; 早上好 🌅"),
            ("user", "Thanks! Summarise our conversation in one sentence, please."),
        ]
        let messages = turns.map { #"{"role":"\#($0.0)","content":"\#($0.1)"}"# }.joined(separator: ",")
        return #"{"model":"gpt-4o-mini","messages":[\#(messages)],"temperature":0.7,"top_p":1,"#
            + #""max_tokens":512,"stream":false,"seed":12345678901234567890,"user":"user-4711","#
            + #""metadata":{"team":"search","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}}"#
    }

    /// A chat-completions response with four long choices, about 100 KB.
    static func longResponse() -> String {
        let paragraph = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Sed do eiusmod tempor "
            + "incididunt ut labore et dolore magna aliqua. \\\"Quoted\\\" text, a tab\\tand a newline.\\n"
            + "Unicode: café, naïve, 東京, 😀. Ut enim ad minim veniam, quis nostrud exercitation. "
        let content = String(repeating: paragraph, count: 100)
        var choices: [String] = []
        for index in 0..<4 {
            choices.append(#"{"index":\#(index),"message":{"role":"assistant","content":"\#(content)"},"#
                + #""logprobs":null,"finish_reason":"stop"}"#)
        }
        return #"{"id":"chatcmpl-9x8y7z","object":"chat.completion","created":1718000000,"#
            + #""model":"gpt-4o-2024-05-13","choices":[\#(choices.joined(separator: ","))],"#
            + #""usage":{"prompt_tokens":1200,"completion_tokens":24000,"total_tokens":25200},"#
            + #""system_fingerprint":"fp_abc123"}"#
    }

    /// An array of small objects, about 1 MB.
    static func smallObjects() -> String {
        var items: [String] = []
        var total = 0
        var index = 0
        while total < 1_000_000 {
            let item = #"{"id":\#(index),"name":"item-\#(index)","score":\#(Double(index % 1000) / 8),"#
                + #""active":\#(index % 3 == 0),"tags":["red","blue"],"parent":null}"#
            total += item.utf8.count + 1
            items.append(item)
            index += 1
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}
