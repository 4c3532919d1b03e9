import MahavishnuCore

/// `route`: producer → our broker → real pool processes with `echo` workers, once per selector.
extension BenchSession {
    func runRoute() throws {
        try withProcesses { processes in
            let broker = try processes.startBroker()
            let names = (0..<plan.backends).map { "bench\($0)" }
            for name in names { try processes.startPool(name: name, workers: plan.workersPerPool, broker: broker) }
            let fleet = "broker + \(plan.backends) pool processes × \(plan.workersPerPool) echo workers"
            for selector in PoolSelector.allCases {
                // Affinity tasks name the pools in turn, so every selector spreads over the same pools.
                let pinned = selector == .affinity
                try measure(
                    "route/\(selector)", scenario: .route, label: "route \(selector)",
                    setup: pinned ? "\(fleet); each task pinned by name, to \(names.joined(separator: " and ")) in turn" : fleet,
                    pools: plan.backends, slots: plan.backends * plan.workersPerPool,
                    exchange: .task(selector: selector, affinities: pinned ? names : [""]), endpoint: broker.frontend
                )
            }
        }
    }
}
