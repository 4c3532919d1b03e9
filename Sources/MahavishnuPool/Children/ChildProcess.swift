import CProcessSpawn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How to start a worker program. There is no shell anywhere: `arguments` reach the program as
/// they are, one argument each.
struct LaunchSpec {
    /// The program (looked up in `PATH` unless it contains a `/`) and its arguments.
    var arguments: [String]
    /// The program's whole environment.
    var environment: [String: String]
    /// Its working directory; `nil` for the pool's.
    var workingDirectory: String?
    /// Give it a pipe to write to as standard input (else it reads `/dev/null`).
    var pipeStandardInput: Bool

    /// The pool's environment with `overrides` on top.
    static func environment(overriding overrides: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(overrides) { $1 }
    }
}

/// Why a program could not be started; the task fails with this description.
package struct LaunchError: Error, CustomStringConvertible {
    package let description: String
}

/// How a child process ended.
enum Termination: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    var description: String {
        switch self {
        case .exited(let status): "exited with status \(status)"
        case .signalled(let signal): "was killed by signal \(signal)" + (signalNames[signal].map { " (\($0))" } ?? "")
        }
    }
}

private let signalNames: [Int32: String] = [SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGPIPE: "SIGPIPE", SIGTERM: "SIGTERM", SIGABRT: "SIGABRT"]

/// A worker program the pool started, leader of its own process group, with non-blocking pipes
/// to its standard streams and a descriptor that turns readable when it exits.
///
/// Between the pool and the program stands a guardian (see `mahavishnu_spawn`): it reaps the
/// program and exits as it did, and if the pool dies, however it dies, it kills the program's
/// process group first. So nothing the pool started outlives it.
///
/// - Important: owned by one thread. The pool reaps it (`reap()`), so it never lingers as a zombie.
package final class ChildProcess {
    /// The guardian's pid: the pool's child, which ends the way the program ends.
    let pid: pid_t
    /// The program's pid, also its process group's id.
    let group: pid_t
    /// Readable once the program has exited (a pidfd of the guardian).
    let exitDescriptor: Int32
    /// The write end of its standard input, or -1 (none, or closed).
    private(set) var standardInput: Int32
    /// The read ends of its standard output and standard error, or -1 once at end of file.
    var standardOutput: Int32
    var standardError: Int32
    private var reaped = false

    private init(pid: pid_t, group: pid_t, exitDescriptor: Int32, standardInput: Int32, standardOutput: Int32, standardError: Int32) {
        self.pid = pid
        self.group = group
        self.exitDescriptor = exitDescriptor
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// Starts `spec`'s program in a new process group; throws a `LaunchError` such as `command not found: qwen`.
    static func launch(_ spec: LaunchSpec) throws(LaunchError) -> ChildProcess {
        ignoreBrokenPipes
        guard let program = spec.arguments.first else { throw LaunchError(description: "the worker type has an empty command") }
        if let directory = spec.workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw LaunchError(description: "working directory '\(directory)' does not exist")
            }
        }
        let path = try resolve(program, environment: spec.environment, workingDirectory: spec.workingDirectory)
        let input = spec.pipeStandardInput ? try makePipe() : (read: open("/dev/null", O_RDONLY | O_CLOEXEC), write: Int32(-1))
        let output = try makePipe()
        let error = try makePipe()
        defer { for fd in [input.read, output.write, error.write] { close(fd) } }
        var pid: pid_t = 0, group: pid_t = 0
        let environment = spec.environment.map { "\($0.key)=\($0.value)" }
        let status = withCStrings(spec.arguments) { argv in
            withCStrings(environment) { envp in
                mahavishnu_spawn(&pid, &group, guardianExecutable, path, argv, envp, spec.workingDirectory, input.read, output.write, error.write)
            }
        }
        guard status == 0 else {
            for fd in [input.write, output.read, error.read] where fd >= 0 { close(fd) }
            throw LaunchError(description: "cannot start \(program): \(String(cString: strerror(status)))")
        }
        let exitDescriptor = mahavishnu_pidfd_open(pid)
        let child = ChildProcess(pid: pid, group: group, exitDescriptor: exitDescriptor, standardInput: input.write, standardOutput: output.read, standardError: error.read)
        guard exitDescriptor >= 0 else {
            child.signalGroup(SIGKILL)
            _ = child.reap()
            throw LaunchError(description: "cannot watch \(program): pidfd_open failed (\(String(cString: strerror(-exitDescriptor)))); Linux 5.3 or later is needed")
        }
        for fd in [input.write, output.read, error.read] where fd >= 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        return child
    }

    /// The executable `program` names: itself if it contains a `/`, else the first match in `PATH`.
    package static func resolve(_ program: String, environment: [String: String], workingDirectory: String?) throws(LaunchError) -> String {
        let candidates: [String]
        if program.contains("/") {
            candidates = [program.hasPrefix("/") ? program : (workingDirectory ?? FileManager.default.currentDirectoryPath) + "/" + program]
        } else {
            candidates = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map { "\($0)/\(program)" }
        }
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            if program.contains("/") { throw LaunchError(description: "command not executable: \(program)") }
        }
        throw LaunchError(description: "command not found: \(program)")
    }

    /// Closes its standard input, so it reads end of file.
    func closeStandardInput() {
        guard standardInput >= 0 else { return }
        close(standardInput)
        standardInput = -1
    }

    /// Sends `signal` to its whole process group; does nothing once it has been reaped.
    func signalGroup(_ signal: Int32) {
        guard !reaped else { return }
        kill(-group, signal)
    }

    /// Once it has exited: kills whatever is left of its process group, collects its exit status
    /// from the guardian (which has reaped the program, so no zombie remains) and closes its descriptors.
    func reap() -> Termination {
        signalGroup(SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        closeStandardInput()
        for fd in [standardOutput, standardError, exitDescriptor] where fd >= 0 { close(fd) }
        standardOutput = -1
        standardError = -1
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    deinit {
        assert(reaped, "child \(pid) was never reaped")
    }
}

/// `mahavishnu-guard` next to the running executable (`swift build` puts it beside
/// `mahavishnu-pool` and `mahavishnu`), or `nil`: then each guardian is a fork of the pool, which
/// keeps the guarantee but costs time in proportion to the pool's resident memory.
private let guardianExecutable: String? = {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let guardian = executable.deletingLastPathComponent().appendingPathComponent("mahavishnu-guard").path
    return FileManager.default.isExecutableFile(atPath: guardian) ? guardian : nil
}()

/// A write to a pipe whose reader has gone must fail with EPIPE, not kill the pool.
private let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

private func makePipe() throws(LaunchError) -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    let status = mahavishnu_pipe(&fds)
    guard status == 0 else { throw LaunchError(description: "cannot create a pipe: \(String(cString: strerror(status)))") }
    return (fds[0], fds[1])
}

/// Runs `body` with `strings` as a NULL-terminated array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
