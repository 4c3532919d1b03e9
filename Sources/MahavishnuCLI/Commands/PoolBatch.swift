import ArgumentParser
import Foundation
import Mahavishnu
import MahavishnuCommandCore
import Synchronization

/// `mahavishnu pool batch POOL_ID --file tasks.jsonl`: run many tasks on one pool.
struct PoolBatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run every task of a JSON-lines file on a pool; prints one result per task, in file order."
    )

    @Argument(help: "The pool's id or name.")
    var poolID: String

    @Option(help: #"A file with one task object per line, e.g. {"prompt": "Write code"}."#)
    var file: String

    @Option(help: "Most tasks in flight at once.")
    var window = 256

    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard window > 0 else { throw ValidationError("--window must be at least 1") }
    }

    func run() async throws {
        let tasks = try readTasks()
        let bar = ProgressBar(total: tasks.count)
        let results = try await client.broker.withPoolManager { manager in
            try await manager.pool(poolID).executeBatch(taskJSON: tasks, window: window, progress: bar.update)
        }
        bar.finish()
        for result in results {
            if client.json { print(String(decoding: try JSONCoding.encode(result), as: UTF8.self)) } else { try Printer.result(result, json: false) }
        }
        let failed = results.filter { $0.status != .completed }.count
        FileHandle.standardError.write(Data("\(results.count - failed) completed, \(failed) failed\n".utf8))
        if failed > 0 { throw ExitCode.failure }
    }

    /// The file's non-empty lines, each checked to be a task object; the error names the line.
    private func readTasks() throws -> [[UInt8]] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CLIError("cannot read the task file \(file)", code: "invalid_argument") }
        var tasks: [[UInt8]] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.allSatisfy(\.isWhitespace) {
            let bytes = Array(line.utf8)
            do {
                _ = try TaskRequest.decode(body: bytes)
            } catch {
                throw CLIError("\(file):\(number + 1): \(error.message)", code: "invalid_task")
            }
            tasks.append(bytes)
        }
        return tasks
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
final class ProgressBar: Sendable {
    private let total: Int
    private let enabled = isatty(STDERR_FILENO) != 0
    private let lastDrawn = Mutex(-1)

    init(total: Int) { self.total = total }

    @Sendable func update(_ done: Int) {
        guard enabled, total > 0 else { return }
        let percent = done * 100 / total
        guard lastDrawn.withLock({ last in defer { last = percent }; return last != percent }) else { return }
        let filled = percent * 30 / 100
        FileHandle.standardError.write(Data("\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] \(done)/\(total)".utf8))
    }

    func finish() {
        if enabled && total > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
