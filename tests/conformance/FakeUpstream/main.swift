#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KeelServer
import KeelTestSupport

// keel-fake-upstream [--port N]
//
// Serves the fake OpenAI- and Anthropic-compatible provider (KeelTestSupport's FakeProvider) on
// 127.0.0.1:N (0, the default, picks a free port), prints the bound port on its own line on standard
// output, and runs until SIGTERM or SIGINT.

var port = 0
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--port":
        guard let value = arguments.popFirst(), let n = Int(value), (0...65535).contains(n) else {
            FileHandle.standardError.write(Data("keel-fake-upstream: --port needs a port number\n".utf8))
            exit(2)
        }
        port = n
    case "-h", "--help":
        print("usage: keel-fake-upstream [--port N]")
        exit(0)
    default:
        FileHandle.standardError.write(Data("keel-fake-upstream: unknown argument \(argument)\n".utf8))
        exit(2)
    }
}

let signal = ShutdownSignal.install()
let fake: FakeProvider
do {
    fake = try FakeProvider(port: port)
} catch {
    FileHandle.standardError.write(Data("keel-fake-upstream: cannot listen on port \(port): \(error)\n".utf8))
    exit(1)
}
FileHandle.standardOutput.write(Data("\(fake.port)\n".utf8))
_ = await signal.wait()
await fake.stop()
