import Foundation
import KeelCore
@testable import KeelStore

/// A fresh directory under the system temporary directory, removed when the value is deallocated.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "keel-store-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside the directory (intermediate directories are not created).
    func file(_ name: String) -> String {
        path + "/" + name
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A logger writing to memory, and a way to read its lines back.
func memoryLogger() -> (Logger, @Sendable () -> [String]) {
    let (sink, lines) = LogSink.memory()
    return (Logger(label: "keel.store.test", level: .debug, sink: sink), lines)
}

/// An entry with every field set, distinct per `index`.
func sampleEntry(_ index: Int, time: Int64 = 1_700_000_000_000, model: String = "gpt-4o", status: Int = 200) -> RequestLogEntry {
    RequestLogEntry(
        id: String(format: "req-%06d", index),
        time: time,
        inboundAPI: "openai.chat_completions",
        model: model,
        provider: "openai",
        upstreamModel: model + "-2024-08-06",
        status: status,
        latencyMs: 120.5 + Double(index),
        timeToFirstTokenMs: 35.25,
        inputTokens: 10 + index,
        outputTokens: 20 + index,
        cachedInputTokens: index % 3,
        stream: index % 2 == 0,
        errorMessage: status >= 400 ? "upstream said no" : nil,
        metadata: ["key_name": "team-\(index % 4)"]
    )
}

/// Opens a raw connection on a store's file, for checks the public API deliberately does not offer.
func rawConnection(_ path: String, readOnly: Bool = true) throws -> SQLiteConnection {
    let connection = try SQLiteConnection(filename: path, mode: readOnly ? .readOnly : .readWrite)
    connection.setBusyTimeout(milliseconds: 5000)
    return connection
}
