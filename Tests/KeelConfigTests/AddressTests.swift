import Testing
@testable import KeelConfig

@Suite("Listen addresses and storage URLs")
struct AddressTests {
    @Test("valid listen addresses", arguments: [
        ("127.0.0.1:4000", "127.0.0.1", 4000),
        ("0.0.0.0:0", "0.0.0.0", 0),
        ("localhost:65535", "localhost", 65535),
        ("[::1]:4000", "::1", 4000),
        ("[::]:8080", "::", 8080),
        ("[2001:db8::1]:443", "2001:db8::1", 443),
        ("gateway.internal:80", "gateway.internal", 80),
    ])
    func validListen(text: String, host: String, port: Int) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address == ListenAddress(host: host, port: port))
        #expect(address.description == text)
        #expect(ListenAddress(text) == address)
    }

    @Test("invalid listen addresses explain the problem", arguments: [
        ("127.0.0.1", "has no port"),
        ("127.0.0.1:", "is not a port number"),
        ("127.0.0.1:http", "is not a port number"),
        ("127.0.0.1:65536", "port 65536 is out of range (0-65535)"),
        ("127.0.0.1:-1", "is not a port number"),
        (":4000", "has no host"),
        ("::1:4000", "write IPv6 addresses in brackets"),
        ("[::1:4000", "without a closing"),
        ("[::1]", "has no port"),
        ("[example.com]:80", "is not an IPv6 address"),
        ("bad host:80", "is not a valid host name"),
    ])
    func invalidListen(text: String, fragment: String) {
        #expect(ListenAddress(text) == nil)
        do {
            _ = try ListenAddress(parsing: text)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test("a bad listen address in the file is reported at its line")
    func badListenInConfig() throws {
        let error = try #require(configError("server:\n  listen: \"127.0.0.1:70000\"\n"))
        #expect(error.description == "keel.yaml:2:11: server.listen: port 70000 is out of range (0-65535)")
    }

    @Test("storage URL forms", arguments: [
        ("sqlite:./keel-data/keel.db", StorageURL.sqlite(path: "./keel-data/keel.db")),
        ("sqlite:/var/lib/keel/keel.db", .sqlite(path: "/var/lib/keel/keel.db")),
        ("sqlite:///var/lib/keel/keel.db", .sqlite(path: "/var/lib/keel/keel.db")),
        ("sqlite::memory:", .sqlite(path: ":memory:")),
        ("postgres://keel:pw@db:5432/keel", .postgres(url: "postgres://keel:pw@db:5432/keel")),
        ("postgresql://db/keel?sslmode=require", .postgres(url: "postgresql://db/keel?sslmode=require")),
    ])
    func storageURLs(text: String, expected: StorageURL) throws {
        #expect(try StorageURL(parsing: text) == expected)
        let config = try parseConfig("storage:\n  url: \"\(text)\"\n")
        #expect(config.storage.url == expected)
    }

    @Test("unsupported storage URLs", arguments: [
        ("mysql://db/keel", #"unsupported storage URL scheme "mysql""#),
        ("sqlite:", "has no path"),
        ("postgres://", "is incomplete"),
        ("./keel.db", "unsupported storage URL scheme"),
    ])
    func invalidStorageURLs(text: String, fragment: String) throws {
        let error = try #require(configError("storage:\n  url: \"\(text)\"\n"))
        #expect(error.diagnostics.first?.keyPath == "storage.url")
        #expect(error.diagnostics.first?.message.contains(fragment) == true)
    }

    @Test("PostgreSQL passwords are hidden when printed")
    func postgresPasswordRedacted() {
        let url = StorageURL.postgres(url: "postgres://keel:hunter2@db:5432/keel?password=hunter3&sslmode=require")
        #expect(url.description == "postgres://***@db:5432/keel?password=***&sslmode=***")
        #expect(!String(reflecting: url).contains("hunter"))
        var dumped = ""
        dump(url, to: &dumped)
        #expect(!dumped.contains("hunter"))
        #expect(StorageURL.postgres(url: "postgres://db/keel").description == "postgres://db/keel")
    }
}
