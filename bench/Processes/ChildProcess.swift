import CProcessSpawn
import Foundation
import Synchronization

/// A process the bench started, stopped only by its pid.
///
/// It is started as the pool starts its worker programs (`mahavishnu_spawn`): under a guardian,
/// the bench's child, which kills the program's process group if the bench dies however it dies,
/// and otherwise exits as the program does. stdin is a pipe the bench keeps open (the bench's
/// roles exit at its end as well), stdout is read for the ready line, stderr goes to a log
/// file. A reaper thread waits for the guardian's exit without reaping first, so a signal
/// never reaches a recycled pid.
final class ChildProcess: @unchecked Sendable {
    let name: String
    /// The program's pid (what memory is read from and signals go to).
    let pid: pid_t
    /// The guardian's: the bench's child, reaped once the program has exited.
    private let guardian: pid_t
    let logFile: URL
    private let stdinWriter: Int32
    private let stdoutReader: Int32
    private var pendingOutput: [UInt8] = []
    private let state = Mutex<State>(State())
    private let exited = DispatchSemaphore(value: 0)

    private struct State {
        var hasExited = false
        var status: Int32 = 0
    }

    /// Starts `executable` with `arguments` (argv[0] is `executable`); stderr appends to `logFile`.
    init(name: String, executable: String, arguments: [String], logFile: URL) throws {
        self.name = name
        self.logFile = logFile
        var stdinPipe: [Int32] = [-1, -1], stdoutPipe: [Int32] = [-1, -1]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0 else {
            throw BenchError("cannot create pipes for \(name): errno \(errno)")
        }
        // Only this thread spawns, so no other child can inherit these before they are marked.
        for descriptor in stdinPipe + stdoutPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        let log = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw BenchError("cannot open \(logFile.path): errno \(errno)") }
        defer {
            Glibc.close(log)
            Glibc.close(stdinPipe[0])
            Glibc.close(stdoutPipe[1])
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var guardian: pid_t = 0, program: pid_t = 0
        let rc = mahavishnu_spawn(&guardian, &program, Self.guardianExecutable, executable, argv, environ, nil, stdinPipe[0], stdoutPipe[1], log)
        guard rc == 0 else {
            Glibc.close(stdinPipe[1])
            Glibc.close(stdoutPipe[0])
            throw BenchError("cannot start \(name) (\(executable)): \(String(cString: strerror(rc)))")
        }
        self.pid = program
        self.guardian = guardian
        stdinWriter = stdinPipe[1]
        stdoutReader = stdoutPipe[0]
        startReaper()
    }

    deinit {
        Glibc.close(stdinWriter)
        Glibc.close(stdoutReader)
    }

    /// `mahavishnu-guard`, built beside the bench (with `mahavishnu-pool`, which needs it); without
    /// it each guardian is a fork of the bench, with the same guarantee.
    private static let guardianExecutable: String? = {
        let guardian = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("mahavishnu-guard").path
        return FileManager.default.isExecutableFile(atPath: guardian) ? guardian : nil
    }()

    private func startReaper() {
        let thread = Thread { [self] in
            var info = siginfo_t()
            while waitid(P_PID, id_t(guardian), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            self.state.withLock { state in
                var status: Int32 = 0
                while waitpid(guardian, &status, 0) < 0 && errno == EINTR {}
                state.hasExited = true
                state.status = status
            }
            exited.signal()
        }
        thread.name = "bench.reaper"
        thread.start()
    }

    var hasExited: Bool { state.withLock { $0.hasExited } }

    /// Waits for the first stdout line starting with `prefix`; throws if the child exits or `timeout` passes.
    func line(startingWith prefix: String, within timeout: Duration) throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            while let newline = pendingOutput.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pendingOutput[..<newline], as: UTF8.self)
                pendingOutput.removeSubrange(...newline)
                if line.hasPrefix(prefix) { return line }
            }
            let remaining = deadline - .now
            guard remaining > .zero else {
                throw BenchError("\(name) printed no '\(prefix)' line within \(timeout); see \(logFile.path)")
            }
            var descriptor = pollfd(fd: stdoutReader, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            guard poll(&descriptor, 1, milliseconds) >= 0 || errno == EINTR else {
                throw BenchError("poll on \(name)'s stdout failed: errno \(errno)")
            }
            guard descriptor.revents != 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(stdoutReader, &chunk, chunk.count)
            if count == 0 {
                throw BenchError("\(name) exited before printing '\(prefix)'; see \(logFile.path)")
            }
            if count > 0 { pendingOutput.append(contentsOf: chunk.prefix(count)) }
        }
    }

    /// Sends `signal` unless the process has already exited.
    func send(_ signal: Int32) {
        state.withLock { state in
            if !state.hasExited { kill(pid, signal) }
        }
    }

    /// SIGTERM, then SIGKILL if it is still running after `grace`; returns once it has exited.
    func stop(grace: Duration = .seconds(10)) {
        send(SIGTERM)
        let graceNanoseconds = Int(grace.components.seconds) * 1_000_000_000 + Int(grace.components.attoseconds / 1_000_000_000)
        if exited.wait(timeout: .now() + .nanoseconds(graceNanoseconds)) == .timedOut {
            send(SIGKILL)
            exited.wait()
        }
        exited.signal()
    }
}
