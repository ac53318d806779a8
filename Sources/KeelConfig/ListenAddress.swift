/// The host and port the server binds, written `HOST:PORT` (`127.0.0.1:4000`, `0.0.0.0:8080`,
/// `[::1]:4000`, `localhost:0`). Port 0 asks the system for a free port.
public struct ListenAddress: Sendable, Hashable, LosslessStringConvertible {
    /// Why a `HOST:PORT` text was rejected.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// A readable explanation, e.g. `port 70000 is out of range (0-65535)`.
        public let message: String
        public var description: String { message }
    }

    /// `127.0.0.1:4000`.
    public static let `default` = ListenAddress(host: "127.0.0.1", port: 4000)

    /// A host name or IP address; IPv6 addresses are stored without brackets (`::1`).
    public var host: String
    /// 0…65535.
    public var port: Int

    /// Creates an address from a host (IPv6 without brackets) and a port.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; IPv6 hosts must be in brackets.
    public init(parsing text: String) throws(ParseError) {
        func fail(_ message: String) -> ParseError { ParseError(message: message) }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw fail("\(quoted(text)) has \"[\" without a closing \"]\"; write IPv6 addresses as [::1]:4000")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else {
                throw fail("\(quoted(text)) has no port; expected HOST:PORT, e.g. [::1]:4000")
            }
            portText = rest.dropFirst()
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw fail("\(quoted(String(host))) is not an IPv6 address")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw fail("\(quoted(text)) has no port; expected HOST:PORT, e.g. 127.0.0.1:4000")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw fail("\(quoted(text)): write IPv6 addresses in brackets, e.g. [::1]:4000")
            }
            guard !host.isEmpty else {
                throw fail("\(quoted(text)) has no host; use 0.0.0.0 to listen on every interface or 127.0.0.1 for local only")
            }
            guard host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" || $0 == "_" }) else {
                throw fail("\(quoted(String(host))) is not a valid host name or IPv4 address")
            }
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText) else {
            throw fail("\(quoted(String(portText))) is not a port number; expected HOST:PORT with a port from 0 to 65535")
        }
        guard port <= 65535 else { throw fail("port \(port) is out of range (0-65535)") }
        self.init(host: String(host), port: port)
    }

    /// Parses `HOST:PORT`, returning nil when invalid (use ``init(parsing:)`` for the reason).
    public init?(_ description: String) {
        guard let address = try? ListenAddress(parsing: description) else { return nil }
        self = address
    }

    /// `HOST:PORT`, with IPv6 hosts in brackets.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
