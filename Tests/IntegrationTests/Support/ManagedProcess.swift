import Foundation
import MahavishnuProcess
import Synchronization

/// A child process a test starts and always stops by its pid: SIGTERM, then SIGKILL if it lingers.
///
/// It is started as every child of ours is (`ChildProcess`, under `mahavishnu-guard`), so it
/// dies with the test process however that ends, a crash included; a `ChildKeeper` of its own
/// collects its output and reaps it.
final class ManagedProcess: Sendable {
    let name: String
    /// The program's pid.
    let pid: Int32
    private let keeper: ChildKeeper<Int32>
    private let capture = OutputCapture()

    /// Starts `executable` with `arguments`; stdout is kept line by line, stderr's tail for diagnostics.
    init(name: String, executable: URL, arguments: [String], environment: [String: String]? = nil) throws {
        self.name = name
        let spec = LaunchSpec(arguments: [executable.path] + arguments, environment: childEnvironment(adding: environment ?? [:]),
                              workingDirectory: nil, pipeStandardInput: false)
        let child: ChildProcess
        do {
            child = try ChildProcess.launch(spec)
        } catch {
            throw TestFailure("cannot start \(name): \(error)")
        }
        pid = child.pid
        let capture = self.capture
        keeper = ChildKeeper(name: "test-child") { ended in
            let status = switch ended.termination {
            case .exited(let status), .signalled(let status): status
            }
            capture.exit.withLock { $0 = (status, ended.termination) }
        }
        keeper.keep(child, as: pid, output: .init(
            standardOutput: { capture.appendStdout(Data($0)) },
            standardError: { chunk in capture.errorTail.withLock { $0 = String(($0 + String(decoding: chunk, as: UTF8.self)).suffix(64_000)) } }
        ))
    }

    deinit {
        keeper.signal(pid, SIGKILL)
        keeper.finish()
    }

    /// The last 64 KB the process wrote to stderr.
    var stderrTail: String { capture.errorTail.withLock { $0 } }

    /// Waits until stderr holds `text` (it may arrive after stdout lines written later) and
    /// returns its tail; fails if time runs out first.
    func stderr(containing text: String, within timeout: Duration = .seconds(10)) async throws -> String {
        try await waitUntil("'\(text)' on the stderr of \(name)", timeout: timeout) { self.stderrTail.contains(text) }
        return stderrTail
    }

    /// Every complete stdout line so far.
    var stdoutLines: [String] { capture.lines.withLock { $0 } }

    /// All it wrote to stdout so far, as text.
    var stdoutText: String {
        let partial = capture.partialLine.withLock { String(decoding: $0, as: UTF8.self) }
        return stdoutLines.map { $0 + "\n" }.joined() + partial
    }

    /// Whether it has exited (and all its output has been read).
    var hasExited: Bool { capture.exit.withLock { $0 != nil } }

    /// Waits for the `occurrence`-th stdout line starting with `prefix`; fails if the process's
    /// output ends first or time runs out.
    func line(startingWith prefix: String, occurrence: Int = 1, within timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let matches = stdoutLines.filter { $0.hasPrefix(prefix) }
            if matches.count >= occurrence { return matches[occurrence - 1] }
            if hasExited {
                throw TestFailure("\(name) ended its output before printing '\(prefix)' (\(occurrence)); stderr: \(stderrTail)")
            }
            if ContinuousClock.now >= deadline {
                throw TestFailure("timed out after \(timeout) waiting for '\(prefix)' from \(name); stderr: \(stderrTail)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sends `signal` to the process (its process group) unless it has exited.
    func send(_ signal: Int32) {
        keeper.signal(pid, signal)
    }

    /// Waits for the process to exit by itself and returns its status (or the signal that killed it).
    func exitStatus(within timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let (status, _) = capture.exit.withLock({ $0 }) { return status }
            if ContinuousClock.now >= deadline { throw TestFailure("\(name) did not exit within \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// How it ended, once it has.
    var termination: Termination? { capture.exit.withLock { $0?.termination } }

    /// Stops the process: SIGTERM, then SIGKILL after `grace`; returns once it has exited.
    @discardableResult
    func stop(grace: Duration = .seconds(10)) async -> Int32 {
        keeper.signal(pid, SIGTERM)
        keeper.signal(pid, SIGKILL, after: grace)
        return (try? await exitStatus(within: grace + .seconds(30))) ?? SIGKILL
    }
}

/// What a child process has written so far, and how it ended, shared with its keeper's thread.
final class OutputCapture: Sendable {
    let lines = Mutex<[String]>([])
    let partialLine = Mutex<Data>(Data())
    let errorTail = Mutex<String>("")
    /// Its exit status (or killing signal) and how it ended, once it has been reaped.
    let exit = Mutex<(status: Int32, termination: Termination)?>(nil)

    func appendStdout(_ chunk: Data) {
        let complete: [String] = partialLine.withLock { buffer in
            buffer.append(chunk)
            var found: [String] = []
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                found.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
            return found
        }
        lines.withLock { $0.append(contentsOf: complete) }
    }
}

/// The result of a command run to completion.
struct CommandOutput: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `executable` to completion and returns its status and output; a process still running
/// after `timeout` is killed (SIGKILL) and the call fails.
func runCommand(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(180)) async throws -> CommandOutput {
    let process = try ManagedProcess(name: executable.lastPathComponent, executable: executable, arguments: arguments, environment: environment)
    guard let status = try? await process.exitStatus(within: timeout) else {
        await process.stop(grace: .zero)
        throw TestFailure("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish within \(timeout) and was killed")
    }
    return CommandOutput(status: status, stdout: process.stdoutText, stderr: process.stderrTail)
}

/// A test failure with a message.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, failing with a message naming `what` if it takes longer than `timeout`.
func withDeadline<T: Sendable>(_ timeout: Duration, what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TestFailure("timed out after \(timeout) waiting for \(what)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// The environment of every process a test starts: the test's own plus `extra`, with a scratch
/// memory database unless one is set, and a state directory of its own unless `extra` names one
/// (`XDG_STATE_HOME`), so no broker a test starts writes to the user's files (both default to
/// places in their home directory) and no broker takes up another's journal.
func childEnvironment(adding extra: [String: String]) -> [String: String] {
    ProcessInfo.processInfo.environment
        .merging(["MAHAVISHNU_MEMORY_DATABASE_PATH": scratchMemoryDatabase]) { own, _ in own }
        .merging(["XDG_STATE_HOME": scratchStateDirectory()]) { $1 }
        .merging(extra) { $1 }
}

/// A fresh directory for one broker's journal (under this test process's scratch directory).
func scratchStateDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("mahavishnu-tests-\(getpid())")
        .appendingPathComponent("state-\(UUID().uuidString)").path
}

private let scratchMemoryDatabase = FileManager.default.temporaryDirectory
    .appendingPathComponent("mahavishnu-tests-\(getpid())").appendingPathComponent("memory.sqlite").path
