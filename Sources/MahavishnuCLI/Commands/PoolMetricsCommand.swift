import ArgumentParser
import Foundation
import Mahavishnu

/// `mahavishnu pool metrics POOL_ID`: one pool's measured metrics.
struct PoolMetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Show a pool's workers, tasks, durations, memory and restarts.")

    @Argument(help: "The pool's id or name.")
    var poolID: String

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let metrics = try await client.broker.withPoolManager { try await $0.pool(poolID).metrics() }
        if client.json { return try Printer.json(metrics) }
        print("pool \(metrics.name) (\(metrics.poolID)): restarts \(metrics.restarts), last heard \(metrics.lastHeartbeatMs) ms ago")
        guard let vitals = metrics.vitals else { return print("no heartbeat with metrics yet") }
        Printer.table(
            ["ACTIVE", "WORKERS", "COMPLETED", "FAILED", "AVG MS", "P99 MS", "RSS MB"],
            [["\(vitals.activeWorkers)", "\(vitals.totalWorkers)", "\(vitals.tasksCompleted)", "\(vitals.tasksFailed)",
              String(format: "%.2f", vitals.averageDurationMs), String(format: "%.2f", vitals.p99DurationMs), String(format: "%.1f", vitals.residentMemoryMB)]]
        )
    }
}
