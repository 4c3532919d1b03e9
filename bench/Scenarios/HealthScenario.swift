import MahavishnuCore

/// `health`: the broker's control round trip with 1 and 100 pools, beside a route round trip
/// through the same broker and pools.
///
/// Uses the `health` control command when the broker has one; `list` otherwise (the report
/// says which).
extension BenchSession {
    func runHealth() throws {
        for pools in [1, 100] {
            try withProcesses { processes in
                let broker = try processes.startBroker()
                try processes.startFakePools(count: pools, workers: 1, broker: broker)
                let command = try healthCommand(at: broker.frontend)
                if command != "health" {
                    note("health: this broker has no `health` control command yet (healthCheck() lands with another issue), so `CTRL \(command)` stands in for it.")
                }
                let setup = "broker + \(pools) fake pools × 1 slot"
                try measure(
                    "health/\(pools)", scenario: .health, label: "CTRL \(command), \(pools) pools", setup: setup,
                    pools: pools, slots: pools, exchange: .control(command), endpoint: broker.frontend, latencyOnly: true
                )
                try measure(
                    "health/\(pools)/route", scenario: .health, label: "route, same \(pools) pools", setup: "\(setup) (least_loaded)",
                    pools: pools, slots: pools, exchange: .task(selector: .leastLoaded), endpoint: broker.frontend, latencyOnly: true
                )
            }
        }
    }

    /// `health` if the broker at `endpoint` answers it, else `list`.
    private func healthCommand(at endpoint: String) throws -> String {
        do {
            try withDriver(.control("health"), at: endpoint, target: "broker") { _ = try $0.latency(samples: 1, warmUp: 0) }
            return "health"
        } catch let refusal as Refusal where refusal.code == ErrorCode.unknownCommand.rawValue {
            return ControlCommand.list.rawValue
        }
    }
}
