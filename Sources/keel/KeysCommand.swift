import KeelConfig
import KeelCore
import KeelHTTP

/// `keel keys …`: manage virtual keys of a running Keel through its admin API, with the master key
/// from the configuration file.
extension KeelCommand {
    static let keysUsage = """
    USAGE
      keel keys list   [--team TEAM]                                    list keys (never secrets)
      keel keys create --team TEAM [--name NAME] [--role ROLE] [--user USER] [--models A,B]
                       [--budget USD] [--period daily|weekly|monthly|total] [--rpm N] [--tpm N]
                       [--expires RFC3339]                               create a key; prints it once
      keel keys rotate ID                                               new secret, old one dead at once
      keel keys revoke ID                                               revoke at once
    OPTIONS (every subcommand)
      --config FILE   the configuration of the running server (default keel.yaml): its
                      server.listen and server.master_key are used
      --url URL       the server's base URL instead of http://server.listen

    Prints the admin API's JSON answer. Exits 0 on success, 1 when the server refuses or cannot
    be reached, 2 on bad usage.
    """

    static func keys(_ args: [String]) async -> Int32 {
        if args.isEmpty || args.contains("--help") || args.contains("-h") {
            print(keysUsage)
            return args.isEmpty ? 2 : 0
        }
        let subcommand = args[0]
        var options: [String: String] = [:]
        var positional: [String] = []
        var i = 1
        while i < args.count {
            let arg = args[i]
            if arg.hasPrefix("--") {
                guard i + 1 < args.count else { return usageError("\(arg) needs a value", keysUsage) }
                options[String(arg.dropFirst(2))] = args[i + 1]
                i += 2
            } else {
                positional.append(arg)
                i += 1
            }
        }
        let known: Set<String> = ["config", "url", "team", "name", "role", "user", "models", "budget", "period", "rpm", "tpm", "expires"]
        if let unknown = options.keys.first(where: { !known.contains($0) }) {
            return usageError("unknown option '--\(unknown)'", keysUsage)
        }

        let config: KeelConfig
        do {
            config = try ConfigLoader.load(path: options["config"] ?? "keel.yaml")
        } catch {
            printError(error.description)
            return 1
        }
        guard let master = config.server.masterKey else {
            printError("keel: server.master_key is not set in the configuration; the admin API needs it")
            return 1
        }
        let host = ["0.0.0.0", "::", ""].contains(config.server.listen.host) ? "127.0.0.1" : config.server.listen.host
        let base = options["url"] ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(config.server.listen.port)"

        let method: String
        let path: String
        var body: JSONObject?
        switch subcommand {
        case "list":
            method = "GET"
            path = "/admin/keys" + (options["team"].map { "?team=" + PercentEncoding.encode($0) } ?? "")
        case "create":
            guard let team = options["team"] else { return usageError("keys create needs --team TEAM", keysUsage) }
            var fields: JSONObject = ["team": .string(team)]
            for (option, field) in [("name", "name"), ("role", "role"), ("user", "user"), ("period", "budget_period"), ("expires", "expires_at")] {
                if let value = options[option] { fields[field] = .string(value) }
            }
            if let models = options["models"] {
                fields["models"] = .array(models.split(separator: ",").map { .string(String($0)) })
            }
            for (option, field) in [("budget", "max_budget_usd"), ("rpm", "rpm_limit"), ("tpm", "tpm_limit")] {
                guard let value = options[option] else { continue }
                guard let number = JSONNumber(text: value) else { return usageError("--\(option) needs a number", keysUsage) }
                fields[field] = .number(number)
            }
            method = "POST"
            path = "/admin/keys"
            body = fields
        case "rotate", "revoke":
            guard positional.count == 1 else { return usageError("keys \(subcommand) needs exactly one key ID", keysUsage) }
            method = subcommand == "rotate" ? "POST" : "DELETE"
            path = "/admin/keys/\(PercentEncoding.encode(positional[0]))" + (subcommand == "rotate" ? "/rotate" : "")
        default:
            return usageError("unknown keys subcommand '\(subcommand)'", keysUsage)
        }

        let client = HTTPClient()
        defer { client.shutdown() }
        var headers: HTTPHeaders = ["authorization": "Bearer \(master.reveal())", "accept": "application/json"]
        if body != nil { headers.add(name: "content-type", value: "application/json") }
        do {
            let request = HTTPClientRequest(method: method, url: base + path, headers: headers, body: body.map { JSONValue.object($0).serialized() })
            let (response, bytes) = try await client.fetch(request, upTo: 16 << 20)
            let value = try? JSONValue(parsing: bytes)
            guard (200..<300).contains(response.status) else {
                let message = value?["error"]?["message"]?.stringValue ?? String(decoding: bytes, as: UTF8.self)
                printError("keel: the server answered \(response.status): \(message)")
                return 1
            }
            print(value?.serializedString(options: .prettyPrinted) ?? String(decoding: bytes, as: UTF8.self))
            return 0
        } catch {
            printError("keel: cannot reach \(base): \(error)")
            return 1
        }
    }
}
