internal import CProcessSpawn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program we started, leader of its own process group, with non-blocking pipes to its
/// standard streams and a descriptor that turns readable when it exits.
///
/// Between us and the program stands a guardian (see `mahavishnu_spawn`): it reaps the program
/// and exits as it did, and if we die, however we die, it kills the program's process group
/// first. So nothing we started outlives us.
///
/// - Important: owned by one thread, which reaps it (`reap()`), so it never lingers as a zombie.
package final class ChildProcess {
    /// The program's pid, also its process group's id.
    package let pid: Int32
    /// The guardian's pid: our child, which ends the way the program ends.
    private let guardian: pid_t
    /// Readable once the program has exited (a pidfd of the guardian).
    package let exitDescriptor: Int32
    /// The write end of its standard input, or -1 (none, closed, or detached).
    package private(set) var standardInput: Int32
    /// The read ends of its standard output and standard error, or -1 (none, at end of file, or detached).
    package private(set) var standardOutput: Int32
    package private(set) var standardError: Int32
    private var reaped = false

    private init(pid: pid_t, guardian: pid_t, exitDescriptor: Int32, standardInput: Int32, standardOutput: Int32, standardError: Int32) {
        self.pid = pid
        self.guardian = guardian
        self.exitDescriptor = exitDescriptor
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// Starts `spec`'s program in a new process group; throws a `LaunchError` such as `command not found: qwen`.
    package static func launch(_ spec: LaunchSpec) throws(LaunchError) -> ChildProcess {
        ignoreBrokenPipes
        guard let program = spec.arguments.first else { throw LaunchError(description: "the command is empty") }
        if let directory = spec.workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw LaunchError(description: "working directory '\(directory)' does not exist")
            }
        }
        let path = try resolve(program, environment: spec.environment, workingDirectory: spec.workingDirectory)
        let input = spec.pipeStandardInput ? try makePipe() : (read: open("/dev/null", O_RDONLY | O_CLOEXEC), write: Int32(-1))
        let output = spec.pipeStandardOutput ? try makePipe() : (read: Int32(-1), write: open("/dev/null", O_WRONLY | O_CLOEXEC))
        let error = if let file = spec.standardErrorFile { try openForAppending(file, for: program) } else { try makePipe() }
        defer { for fd in [input.read, output.write, error.write] { close(fd) } }
        var guardian: pid_t = 0, pid: pid_t = 0
        let environment = spec.environment.map { "\($0.key)=\($0.value)" }
        let status = withCStrings(spec.arguments) { argv in
            withCStrings(environment) { envp in
                mahavishnu_spawn(&guardian, &pid, guardianExecutable, path, argv, envp, spec.workingDirectory, input.read, output.write, error.write)
            }
        }
        guard status == 0 else {
            for fd in [input.write, output.read, error.read] where fd >= 0 { close(fd) }
            throw LaunchError(description: "cannot start \(program): \(String(cString: strerror(status)))")
        }
        let exitDescriptor = mahavishnu_pidfd_open(guardian)
        let child = ChildProcess(pid: pid, guardian: guardian, exitDescriptor: exitDescriptor, standardInput: input.write, standardOutput: output.read, standardError: error.read)
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
    package func closeStandardInput() {
        guard standardInput >= 0 else { return }
        close(standardInput)
        standardInput = -1
    }

    /// Hands its standard input and output to the caller, who closes them from then on (`reap()` leaves them open).
    package func detachStandardInputAndOutput() -> (input: Int32, output: Int32) {
        defer {
            standardInput = -1
            standardOutput = -1
        }
        return (standardInput, standardOutput)
    }

    /// Reads its standard output until it would block, passing each chunk to `sink`, or until
    /// `paused` says to stop after a chunk.
    package func readStandardOutput(into sink: (UnsafeRawBufferPointer) -> Void, until paused: () -> Bool) {
        standardOutput = Self.read(standardOutput, into: sink, until: paused)
    }

    /// Reads its standard error until it would block, passing each chunk to `sink`.
    package func readStandardError(into sink: (UnsafeRawBufferPointer) -> Void) {
        standardError = Self.read(standardError, into: sink)
    }

    /// Sends `signal` to its whole process group; does nothing once it has been reaped.
    package func signalGroup(_ signal: Int32) {
        guard !reaped else { return }
        kill(-pid, signal)
    }

    /// Once it has exited: kills whatever is left of its process group, collects its exit status
    /// from the guardian (which has reaped the program, so no zombie remains) and closes its descriptors.
    package func reap() -> Termination {
        signalGroup(SIGKILL)
        var status: Int32 = 0
        while waitpid(guardian, &status, 0) < 0 && errno == EINTR {}
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

    /// Reads `fd` (if not -1) until it would block; returns `fd`, or -1 (having closed it) at end of file.
    private static func read(_ fd: Int32, into sink: (UnsafeRawBufferPointer) -> Void, until paused: () -> Bool = { false }) -> Int32 {
        guard fd >= 0 else { return fd }
        return withUnsafeTemporaryAllocation(byteCount: 65_536, alignment: 1) { buffer in
            while true {
                let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if count > 0 {
                    sink(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                    if paused() { return fd }
                } else if count < 0 && errno == EINTR {
                    continue
                } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    return fd
                } else {
                    close(fd)
                    return -1
                }
            }
        }
    }
}

/// `mahavishnu-guard` next to the running executable (`swift build` puts it beside
/// `mahavishnu-pool` and `mahavishnu`), or `nil`: then each guardian is a fork of this process,
/// which keeps the guarantee but costs time in proportion to its resident memory.
private let guardianExecutable: String? = {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let guardian = executable.deletingLastPathComponent().appendingPathComponent("mahavishnu-guard").path
    return FileManager.default.isExecutableFile(atPath: guardian) ? guardian : nil
}()

/// A write to a pipe whose reader has gone must fail with EPIPE, not kill us.
private let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

private func makePipe() throws(LaunchError) -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    let status = mahavishnu_pipe(&fds)
    guard status == 0 else { throw LaunchError(description: "cannot create a pipe: \(String(cString: strerror(status)))") }
    return (fds[0], fds[1])
}

/// A write end for a child's stream that appends to `file`, and no read end.
private func openForAppending(_ file: String, for program: String) throws(LaunchError) -> (read: Int32, write: Int32) {
    let fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw LaunchError(description: "cannot open \(file) for \(program)'s standard error: \(String(cString: strerror(errno)))") }
    return (-1, fd)
}

/// Runs `body` with `strings` as a NULL-terminated array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
