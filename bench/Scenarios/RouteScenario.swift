import Foundation
import MahavishnuCore

/// `route`: producer → our broker → real pool processes with `echo` workers, once per selector;
/// then once more with memory aggregation on, to show what storing every result costs.
extension BenchSession {
    func runRoute() throws {
        try withRouteFleet(memoryDatabase: nil) { broker, names, fleet in
            for selector in PoolSelector.allCases {
                // Affinity tasks name the pools in turn, so every selector spreads over the same pools.
                let pinned = selector == .affinity
                try measure(
                    "route/\(selector)", scenario: .route, label: "route \(selector)",
                    setup: pinned ? "\(fleet); each task pinned by name, to \(names.joined(separator: " and ")) in turn" : fleet,
                    pools: plan.backends, slots: plan.backends * plan.workersPerPool,
                    exchange: .task(selector: selector, affinities: pinned ? names : [""]), endpoint: broker.frontend, cpuOf: broker.process.pid
                )
            }
            try recordMemory("broker/route", label: "broker, after the route runs (peak: during them)", pid: broker.process.pid)
        }
        try withRouteFleet(memoryDatabase: memoryDatabase) { broker, _, fleet in
            try measure(
                "route+memory/least_loaded", scenario: .route, label: "route least_loaded, memory on",
                setup: "\(fleet), memory aggregation on (every result stored in SQLite, full-text indexed)",
                pools: plan.backends, slots: plan.backends * plan.workersPerPool,
                exchange: .task(selector: .leastLoaded), endpoint: broker.frontend
            )
        }
    }

    /// Runs `body` with a broker (storing results in `memoryDatabase`, or not; keeping
    /// `journal`) and the route pools, all of `build` (this bench's by default), then stops them.
    func withRouteFleet(memoryDatabase: URL?, journal: BenchJournal = .off, build: MahavishnuBuild? = nil,
                        _ body: (BrokerEndpoints, [String], String) throws -> Void) throws {
        try withProcesses { processes in
            let broker = try processes.startBroker(memoryDatabase: memoryDatabase, journal: journal, build: build)
            let names = (0..<plan.backends).map { "bench\($0)" }
            for name in names { try processes.startPool(name: name, workers: plan.workersPerPool, broker: broker, build: build) }
            let journaled = if case .on(let mode, _) = journal { "journal \(mode)" } else { "journal off" }
            try body(broker, names, "broker (\(journaled)) + \(plan.backends) pool processes × \(plan.workersPerPool) echo workers")
        }
    }
}
