import ArgumentParser
import Foundation
import Mahavishnu

/// `mahavishnu top`: the dashboard's overview in a terminal, redrawn in place: the broker's
/// health, load and rates, and every pool.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Watch the broker in the terminal: health, load, task rates and every pool, redrawn in place (Ctrl-C quits)."
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "Seconds between refreshes (0.1 or more).")
    var interval: Double = 2

    @Flag(help: "Print one screen and exit, without redrawing: for scripts.")
    var once = false

    func validate() throws {
        guard interval >= 0.1, interval.isFinite else { throw ValidationError("--interval must be at least 0.1 seconds; got \(interval)") }
    }

    func run() async throws {
        try await client.broker.withBrokerClient { broker in
            var previous: (stats: BrokerStats, at: ContinuousClock.Instant)?
            while true {
                let health = try await broker.control(.health, as: HealthReport.self)
                let pools = try await broker.control(.list, as: PoolList.self).pools
                let stats = try await broker.control(.stats, as: BrokerStats.self)
                let now = ContinuousClock.now
                let lines = TopScreen(health: health, pools: pools, stats: stats, previous: previous, now: now).lines
                if once { return print(lines.joined(separator: "\n")) }
                // Home, clear: the screen is redrawn in place.
                FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + lines.joined(separator: "\n") + "\n").utf8))
                previous = (stats, now)
                try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
            }
        }
    }
}

/// One screen of `top`.
struct TopScreen {
    let health: HealthReport
    let pools: [PoolSummary]
    let stats: BrokerStats
    let previous: (stats: BrokerStats, at: ContinuousClock.Instant)?
    let now: ContinuousClock.Instant

    var lines: [String] {
        let completed = pools.reduce(0) { $0 + $1.tasksCompleted }
        var lines = [
            "mahavishnu top  \(timestamp)  health \(health.status.rawValue)  pools \(pools.count)  completed \(completed)",
            "queued \(stats.queueDepth) (delayed \(stats.delayed))  in flight \(stats.inFlight)  accepted \(stats.tasksAccepted)  results \(stats.resultsDelivered)  refused \(stats.tasksRefusedOverloaded + stats.tasksRefusedTooLarge + stats.tasksRefusedInvalid)",
            rates,
            "",
        ]
        let healthByID = Dictionary(uniqueKeysWithValues: health.pools.map { ($0.poolID, $0) })
        let rows = pools.sorted { $0.name < $1.name }.map { pool in
            let status = healthByID[pool.poolID]
            return [
                pool.name, status?.status.rawValue ?? "?", "\(pool.inFlight)/\(pool.workers)", "\(pool.queued)",
                status.map { String(format: "%.1f s", Double($0.lastHeartbeatMs) / 1000) } ?? "?", "\(pool.tasksCompleted)", pool.host, "\(pool.pid)",
            ]
        }
        lines += Printer.tableLines(["POOL", "STATUS", "BUSY", "QUEUE", "HEARTBEAT", "COMPLETED", "HOST", "PID"], rows)
        return lines
    }

    private var timestamp: String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date())
    }

    /// Tasks accepted and results delivered per second since the previous screen.
    private var rates: String {
        guard let previous else { return "rates: after the next refresh" }
        let seconds = max((now - previous.at).seconds, 0.001)
        let accepted = Double(stats.tasksAccepted - previous.stats.tasksAccepted) / seconds
        let delivered = Double(stats.resultsDelivered - previous.stats.resultsDelivered) / seconds
        return String(format: "rates: %.1f accepted/s, %.1f results/s over the last %.1f s", accepted, delivered, seconds)
    }
}
