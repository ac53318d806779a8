// A minimal server on Keel's HTTP engine for benchmarks: `GET /healthz` and a JSON echo route
// (`POST /echo` parses the JSON body into a `JSONValue` and serializes it again, as a gateway route would).
//
//   keel-bench-server [PORT]
import Foundation
import KeelCore
import KeelHTTP

@main
enum EchoServer {
    static func main() async throws {
        let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 4100 : 4100
        var router = Router()
        router.get("/healthz") { _, _ in
            .json("{\"status\":\"ok\"}")
        }
        router.post("/echo") { request, _ in
            let value: JSONValue
            do {
                value = try JSONValue(parsing: request.body)
            } catch let error as JSONError {
                throw HTTPError.badRequest("The body is not valid JSON: \(error.message)")
            }
            return .json(bytes: value.serialized())
        }
        router.get("/sse") { request, _ in
            let count = Int(request.queryValue("n") ?? "") ?? 5
            return .eventStream { writer in
                for i in 0..<count {
                    try await writer.write(event: ServerSentEvent(data: "{\"i\":\(i)}"))
                    try await Task.sleep(for: .milliseconds(10))
                }
                try await writer.write(event: ServerSentEvent(data: "[DONE]"))
            }
        }
        router.get("/slow") { request, _ in
            let ms = Int(request.queryValue("ms") ?? "") ?? 100
            try await Task.sleep(for: .milliseconds(ms))
            return .json("{\"slept_ms\":\(ms)}")
        }
        let logger = Logger(label: "keel.bench", level: .info)
        let server = HTTPServer(
            configuration: .init(host: "127.0.0.1", port: port, maxBodyBytes: 1 << 20),
            responder: router.buildResponder(), logger: logger
        )
        try server.start()
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let (signals, continuation) = AsyncStream<Void>.makeStream()
        let sources = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0) }
        for s in sources {
            s.setEventHandler { continuation.yield() }
            s.resume()
        }
        for await _ in signals { break }
        withExtendedLifetime(sources) {}
        await server.shutdown(gracePeriod: .seconds(5))
    }
}
