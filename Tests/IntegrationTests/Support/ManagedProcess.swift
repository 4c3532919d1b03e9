import Foundation
import Synchronization

/// A child process a test starts and always stops by its pid: SIGTERM, then SIGKILL if it lingers.
final class ManagedProcess: Sendable {
    let name: String
    let process: Process
    private let lines: AsyncStream<String>
    private let capture = OutputCapture()

    /// Starts `executable` with `arguments`; stdout is read line by line, stderr kept for diagnostics.
    init(name: String, executable: URL, arguments: [String], environment: [String: String]? = nil) throws {
        self.name = name
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let (stream, continuation) = AsyncStream<String>.makeStream()
        lines = stream
        let capture = self.capture
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            guard !chunk.isEmpty else {
                handle.readabilityHandler = nil
                continuation.finish()
                return
            }
            let complete: [String] = capture.partialLine.withLock { buffer in
                buffer.append(chunk)
                var found: [String] = []
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    found.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
                return found
            }
            capture.lines.withLock { $0.append(contentsOf: complete) }
            for line in complete { continuation.yield(line) }
        }
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            guard !chunk.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            capture.errorTail.withLock { $0 = String(($0 + String(decoding: chunk, as: UTF8.self)).suffix(4000)) }
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// The last few kilobytes the process wrote to stderr.
    var stderrTail: String { capture.errorTail.withLock { $0 } }

    /// Every stdout line so far.
    var stdoutLines: [String] { capture.lines.withLock { $0 } }

    /// Waits for the first stdout line starting with `prefix`; throws if the process ends or time runs out.
    func line(startingWith prefix: String, within timeout: Duration = .seconds(30)) async throws -> String {
        let lines = self.lines
        let name = self.name
        return try await withDeadline(timeout, what: "'\(prefix)' from \(name)") {
            for await line in lines where line.hasPrefix(prefix) { return line }
            throw TestFailure("\(name) exited before printing '\(prefix)'; stderr: \(self.stderrTail)")
        }
    }

    /// Sends `signal` to the process.
    func send(_ signal: Int32) {
        if process.isRunning { kill(pid, signal) }
    }

    /// Stops the process: SIGTERM, then SIGKILL after `grace`; returns once it has exited.
    @discardableResult
    func stop(grace: Duration = .seconds(10)) async -> Int32 {
        send(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// What a child process has written so far, shared with the pipe handlers.
final class OutputCapture: Sendable {
    let lines = Mutex<[String]>([])
    let partialLine = Mutex<Data>(Data())
    let errorTail = Mutex<String>("")
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
