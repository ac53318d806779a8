#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A real nginx (Debian's `nginx-light`) on a loopback port, serving TLS with HTTP/2 from a fresh
/// self-signed certificate, for tests of the HTTP client against a production server.
///
/// Files under `/hello` (text `hello`) and `/files/NAME` (whatever `addFile` wrote) are served.
public final class TestNginx: @unchecked Sendable {
    // Immutable after init; the process is stopped in `stop()`/`deinit`.
    public let port: Int
    /// The PEM certificate the server presents; trust it with `caCertificatesPath`.
    public let certificatePath: String
    public let directory: TemporaryDirectory
    private let process: ChildProcess

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Generates a certificate, writes the configuration and starts nginx; waits until it accepts.
    public init(files: [String: [UInt8]] = [:]) throws {
        directory = TemporaryDirectory(prefix: "keel-nginx")
        let dir = directory.path
        try FileManager.default.createDirectory(atPath: dir + "/files", withIntermediateDirectories: true)
        for (name, bytes) in files {
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/files/" + name))
        }
        certificatePath = dir + "/cert.pem"
        try Self.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/key.pem",
                                          "-out", certificatePath, "-days", "1", "-subj", "/CN=localhost",
                                          "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        port = try Self.freePort()
        let config = """
        daemon off;
        master_process off;
        worker_processes 1;
        pid \(dir)/nginx.pid;
        error_log \(dir)/error.log;
        events { worker_connections 512; }
        http {
          access_log off;
          client_body_temp_path \(dir)/body;
          proxy_temp_path \(dir)/proxy;
          fastcgi_temp_path \(dir)/fastcgi;
          server {
            listen 127.0.0.1:\(port) ssl http2;
            ssl_certificate \(certificatePath);
            ssl_certificate_key \(dir)/key.pem;
            location = /hello { default_type text/plain; return 200 "hello"; }
            location /files/ { root \(dir); }
          }
        }
        """
        try config.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
        process = try ChildProcess("/usr/sbin/nginx", ["-p", dir, "-c", dir + "/nginx.conf", "-e", dir + "/error.log"])
        for _ in 0..<200 {
            if Self.accepts(port: port) { return }
            if !process.isRunning { break }
            usleep(25_000)
        }
        let log = (try? String(contentsOfFile: dir + "/error.log", encoding: .utf8)) ?? ""
        stop()
        throw StartError(description: "nginx did not start: \(log)")
    }

    deinit { stop() }

    /// `https://127.0.0.1:PORT` + `path`.
    public func url(_ path: String) -> String { "https://127.0.0.1:\(port)\(path)" }

    public func stop() {
        process.stop()
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let status = try ChildProcess.run(tool, arguments)
        guard status == 0 else { throw StartError(description: "\(tool) failed with status \(status)") }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw StartError(description: "no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        guard let c = try? RawHTTPConnection(port: port) else { return false }
        c.close()
        return true
    }
}
