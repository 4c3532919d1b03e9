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
                let pinned = selector == .affinity
                try measure(
                    "route/\(selector)", scenario: .route, label: "route \(selector)",
                    setup: pinned ? "\(fleet); every task pinned to pool \(names[0])" : fleet,
                    pools: plan.backends, slots: pinned ? plan.workersPerPool : plan.backends * plan.workersPerPool,
                    exchange: .task(selector: selector, affinity: pinned ? names[0] : ""), endpoint: broker.frontend
                )
            }
        }
    }
}
