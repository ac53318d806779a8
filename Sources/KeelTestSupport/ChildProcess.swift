#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, with default signal dispositions and an empty signal
/// mask (whatever the test process ignores or blocks), its output discarded. For test servers.
public final class ChildProcess: @unchecked Sendable {
    // `pid` is written once in init; `reaped` only by `stop`, which callers don't race.
    public let pid: pid_t
    private var reaped = false

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ path: String, _ arguments: [String]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw SpawnError(description: "cannot start \(path): error \(rc)") }
        pid = child
    }

    deinit { stop() }

    /// Whether the process is still running (not yet exited).
    public var isRunning: Bool {
        if reaped { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid {
            reaped = true
            return false
        }
        return r == 0
    }

    /// Runs the process to completion and returns its exit status.
    public static func run(_ path: String, _ arguments: [String]) throws -> Int32 {
        let p = try ChildProcess(path, arguments)
        var status: Int32 = 0
        while waitpid(p.pid, &status, 0) < 0, errno == EINTR {}
        p.reaped = true
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Sends SIGTERM, then SIGKILL if it has not exited within a second, and reaps it.
    public func stop() {
        guard !reaped else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) == pid { reaped = true; return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        reaped = true
    }
}
