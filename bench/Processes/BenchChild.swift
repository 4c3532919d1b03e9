import Foundation
import MahavishnuProcess

/// A process the bench started, stopped only by its pid.
///
/// It is started as every child of ours is (`AttachedProcess`): under a guardian, which kills
/// its process group if the bench dies however it dies. Its standard input is a pipe the bench
/// keeps open (the bench's roles exit at its end as well), its standard output is read for the
/// ready line, its standard error appends to a log file.
final class BenchChild {
    let name: String
    let logFile: URL
    private let process: AttachedProcess
    private var pendingOutput: [UInt8] = []

    /// Starts `executable` with `arguments`, in the log directory: no child picks up the
    /// checkout's `settings/mahavishnu.yaml` (which a baseline build may not read), so every
    /// build runs on its own defaults and the flags the bench gives.
    init(name: String, executable: String, arguments: [String], logFile: URL) throws {
        self.name = name
        self.logFile = logFile
        let spec = LaunchSpec(arguments: [executable] + arguments, environment: ProcessInfo.processInfo.environment,
                              workingDirectory: logFile.deletingLastPathComponent().path,
                              pipeStandardInput: true, standardErrorFile: logFile.path)
        do {
            process = try AttachedProcess(spec, name: "bench.\(name)")
        } catch {
            throw BenchError("cannot start \(name) (\(executable)): \(error)")
        }
    }

    /// The program's pid (what memory is read from).
    var pid: pid_t { process.pid }

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
            var descriptor = pollfd(fd: process.output, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(clamping: remaining.roundedUpMilliseconds)) >= 0 || errno == EINTR else {
                throw BenchError("poll on \(name)'s stdout failed: errno \(errno)")
            }
            guard descriptor.revents != 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(process.output, &chunk, chunk.count)
            if count == 0 {
                throw BenchError("\(name) exited before printing '\(prefix)'; see \(logFile.path)")
            }
            if count > 0 { pendingOutput.append(contentsOf: chunk.prefix(count)) }
        }
    }

    /// Sends `signal` to its process group unless it has already exited.
    func send(_ signal: Int32) {
        process.signal(signal)
    }

    /// Closes its input and sends SIGTERM, then SIGKILL if it still runs after `grace`; returns once it has exited.
    func stop(grace: Duration = .seconds(10)) {
        process.end(terminateAfter: .zero, killAfter: grace)
    }
}
