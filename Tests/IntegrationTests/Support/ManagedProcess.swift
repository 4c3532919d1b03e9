import Foundation
import Synchronization

/// A child process a test starts and always stops by its pid: SIGTERM, then SIGKILL if it lingers.
final class ManagedProcess: Sendable {
    let name: String
    let process: Process
    private let capture = OutputCapture()

    /// Starts `executable` with `arguments`; stdout is kept line by line, stderr's tail for diagnostics.
    init(name: String, executable: URL, arguments: [String], environment: [String: String]? = nil) throws {
        self.name = name
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = childEnvironment(adding: environment ?? [:])
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let capture = self.capture
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                capture.stdoutClosed.withLock { $0 = true }
            } else {
                capture.appendStdout(chunk)
            }
        }
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
            } else {
                capture.errorTail.withLock { $0 = String(($0 + String(decoding: chunk, as: UTF8.self)).suffix(64_000)) }
            }
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

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

    /// Waits for the `occurrence`-th stdout line starting with `prefix`; fails if the process's
    /// output ends first or time runs out.
    func line(startingWith prefix: String, occurrence: Int = 1, within timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let matches = stdoutLines.filter { $0.hasPrefix(prefix) }
            if matches.count >= occurrence { return matches[occurrence - 1] }
            if capture.stdoutClosed.withLock({ $0 }) {
                throw TestFailure("\(name) ended its output before printing '\(prefix)' (\(occurrence)); stderr: \(stderrTail)")
            }
            if ContinuousClock.now >= deadline {
                throw TestFailure("timed out after \(timeout) waiting for '\(prefix)' from \(name); stderr: \(stderrTail)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sends `signal` to the process.
    func send(_ signal: Int32) {
        if process.isRunning { kill(pid, signal) }
    }

    /// Waits for the process to exit by itself and returns its status.
    func exitStatus(within timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { throw TestFailure("\(name) did not exit within \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    /// Stops the process: SIGTERM, then SIGKILL after `grace`; returns once it has exited.
    @discardableResult
    func stop(grace: Duration = .seconds(10)) async -> Int32 {
        send(SIGTERM)
        if (try? await exitStatus(within: grace)) == nil { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// What a child process has written so far, shared with the pipe handlers.
final class OutputCapture: Sendable {
    let lines = Mutex<[String]>([])
    let partialLine = Mutex<Data>(Data())
    let stdoutClosed = Mutex(false)
    let errorTail = Mutex<String>("")

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

/// Runs `executable` to completion on a dedicated thread and returns its status and output;
/// a process still running after `timeout` is killed (SIGKILL) and the call fails.
func runCommand(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(180)) async throws -> CommandOutput {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result {
                let process = Process()
                process.executableURL = executable
                process.arguments = arguments
                process.environment = childEnvironment(adding: environment)
                let stdout = Pipe(), stderr = Pipe()
                process.standardOutput = stdout
                process.standardError = stderr
                process.standardInput = FileHandle.nullDevice
                try process.run()
                let pid = process.processIdentifier
                let killer = DispatchWorkItem { kill(pid, SIGKILL) }
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000)), execute: killer)
                let errorData = Mutex(Data())
                let errorRead = DispatchSemaphore(value: 0)
                Thread {
                    errorData.withLock { $0 = stderr.fileHandleForReading.readDataToEndOfFile() }
                    errorRead.signal()
                }.start()
                let output = stdout.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                errorRead.wait()
                killer.cancel()
                if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL {
                    throw TestFailure("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish within \(timeout) and was killed")
                }
                return CommandOutput(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                                     stderr: String(decoding: errorData.withLock { $0 }, as: UTF8.self))
            })
        }.start()
    }
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
