#if canImport(Glibc)
import Glibc
#endif
import KeelConfig
import KeelCore
import KeelServer
import KeelStore

/// The `keel` command line. It only parses arguments and calls the composition root.
/// Exit codes: 0 success, 1 a failed check or startup, 2 bad usage.
@main
enum KeelCommand {
    static let usage = """
    keel — one gateway for every model provider, with governance, guardrails and observability.

    USAGE
      keel serve [--config FILE] [--listen HOST:PORT]   run the server (default config: keel.yaml)
      keel check-config FILE                             validate a configuration file and exit
      keel audit verify [--config FILE]                  check that the audit log is intact
      keel keys list|create|rotate|revoke …              manage virtual keys of a running server
      keel guard scan FILE [--policy NAME] [--role ROLE] [--jsonl]
                                                         apply a guardrails policy to a file
      keel --version                                     print the version
      keel --help | keel SUBCOMMAND --help               describe a command

    EXIT CODES
      0 success, 1 failed check or startup error, 2 bad usage
    """

    static let serveUsage = """
    USAGE
      keel serve [--config FILE] [--listen HOST:PORT]

    Runs Keel with the configuration in FILE (default: keel.yaml). --listen overrides
    server.listen. SIGTERM or SIGINT starts a graceful shutdown: no new connections, requests in
    flight finish (up to server.shutdown_timeout_s), everything accepted is flushed to the store,
    and the process exits 0.
    """

    static let checkConfigUsage = """
    USAGE
      keel check-config FILE

    Parses and validates FILE exactly as `keel serve` would (including ${VAR} interpolation from
    the environment) without starting anything. Prints every problem as FILE:LINE:COLUMN: KEY.PATH:
    MESSAGE and exits 1 if there is any; prints a summary and exits 0 otherwise.
    """

    static func main() async {
        var args = Array(CommandLine.arguments.dropFirst())
        guard let command = args.first else {
            printError(usage)
            exit(2)
        }
        args.removeFirst()
        switch command {
        case "--help", "-h", "help":
            print(usage)
        case "--version", "-V", "version":
            print("keel \(KeelVersion.current)")
        case "serve":
            exit(await serve(args))
        case "check-config":
            exit(checkConfig(args))
        case "audit":
            exit(audit(args))
        case "keys":
            exit(await keys(args))
        case "guard":
            exit(GuardCommand.run(args))
        default:
            printError("keel: unknown command '\(command)'\n\n\(usage)")
            exit(2)
        }
    }

    static func serve(_ args: [String]) async -> Int32 {
        var configPath = "keel.yaml"
        var listen: String?
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--help", "-h":
                print(serveUsage)
                return 0
            case "--config", "-c":
                guard i + 1 < args.count else { return usageError("--config needs a FILE", serveUsage) }
                configPath = args[i + 1]
                i += 1
            case "--listen":
                guard i + 1 < args.count else { return usageError("--listen needs HOST:PORT", serveUsage) }
                listen = args[i + 1]
                i += 1
            default:
                if args[i].hasPrefix("--config=") {
                    configPath = String(args[i].dropFirst("--config=".count))
                } else if args[i].hasPrefix("--listen=") {
                    listen = String(args[i].dropFirst("--listen=".count))
                } else {
                    return usageError("unknown option '\(args[i])'", serveUsage)
                }
            }
            i += 1
        }
        var config: KeelConfig
        do {
            config = try ConfigLoader.load(path: configPath)
        } catch {
            printError(error.description)
            return 1
        }
        if let listen {
            do throws(ListenAddress.ParseError) {
                config.server.listen = try ListenAddress(parsing: listen)
            } catch {
                return usageError("--listen: \(error.message)", serveUsage)
            }
        }
        do {
            let app = try buildApplication(config: config)
            try await app.run()
            return 0
        } catch {
            printError("keel: \(error)")
            return 1
        }
    }

    static func checkConfig(_ args: [String]) -> Int32 {
        if args.contains("--help") || args.contains("-h") {
            print(checkConfigUsage)
            return 0
        }
        guard args.count == 1 else { return usageError("check-config takes exactly one FILE", checkConfigUsage) }
        do {
            let config = try ConfigLoader.load(path: args[0])
            do {
                try checkServable(config)
            } catch {
                printError("\(args[0]): \(error.message)")
                return 1
            }
            print("\(args[0]): ok (\(config.providers.count) providers, \(config.models.count) models, listening on \(config.server.listen))")
            return 0
        } catch {
            printError(error.description)
            return 1
        }
    }

    static let auditUsage = """
    USAGE
      keel audit verify [--config FILE]

    Recomputes the hash chain of the audit log in the database named by storage.url in FILE
    (default: keel.yaml). Every entry carries the SHA-256 of the previous one, so an entry that
    was altered, inserted or removed breaks the chain. Prints the number of entries and the hash of
    the last one (keep it elsewhere to detect removal of entries at the end) and exits 0 when the
    chain is intact; names the first bad entry and exits 1 otherwise. Safe while Keel is running.
    """

    static func audit(_ args: [String]) -> Int32 {
        if args.contains("--help") || args.contains("-h") {
            print(auditUsage)
            return 0
        }
        guard args.first == "verify" else { return usageError("audit needs a subcommand: verify", auditUsage) }
        var configPath = "keel.yaml"
        var i = 1
        while i < args.count {
            if args[i] == "--config" || args[i] == "-c", i + 1 < args.count {
                configPath = args[i + 1]
                i += 2
            } else if args[i].hasPrefix("--config=") {
                configPath = String(args[i].dropFirst("--config=".count))
                i += 1
            } else {
                return usageError("unknown option '\(args[i])'", auditUsage)
            }
        }
        let config: KeelConfig
        do {
            config = try ConfigLoader.load(path: configPath)
        } catch {
            printError(error.description)
            return 1
        }
        guard case .sqlite(let path) = config.storage.url, path != StorageURL.memoryPath else {
            printError("keel: audit verify needs a sqlite:PATH storage.url (an in-memory database has no audit log to check)")
            return 1
        }
        do {
            let result = try GovernanceStore.verifyAudit(path: path)
            if let bad = result.firstBadSeq {
                printError("audit log BROKEN at entry \(bad): \(result.problem ?? "does not verify") (\(result.checked) entries read, \(path))")
                return 1
            }
            print("audit log intact: \(result.checked) entries, head \(result.headHash) (\(path))")
            return 0
        } catch {
            printError("keel: cannot verify the audit log: \(error)")
            return 1
        }
    }

    static func usageError(_ message: String, _ usage: String) -> Int32 {
        printError("keel: \(message)\n\n\(usage)")
        return 2
    }

    static func printError(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        line.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}
