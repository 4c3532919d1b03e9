import MahavishnuCore

/// `scale`: route latency and throughput as the registered pools grow to 1,000, and with
/// 10,000 workers registered at once. Fake pools (one process, see `FakePoolSet`) stand in for
/// pool processes so that the figures follow the broker, not the number of processes on 2 cores.
extension BenchSession {
    func runScale() throws {
        let shapes = plan.scalePoolCounts.map { (pools: $0, workers: max(1, plan.window / $0)) } + [(pools: plan.manyWorkers, workers: plan.manyWorkers)]
        note("scale and health register fake pools: raw DEALERs in one process that echo each task body back as the result, with no JSON and no worker threads; they measure the broker, not a pool process.")
        for shape in shapes {
            try withProcesses { processes in
                let broker = try processes.startBroker()
                progress.say("scale: registering \(shape.pools) fake pools × \(shape.workers) slots")
                try processes.startFakePools(count: shape.pools, workers: shape.workers, broker: broker)
                try measure(
                    "scale/\(shape.pools)x\(shape.workers)", scenario: .scale, label: "scale \(shape.pools)×\(shape.workers) fake",
                    setup: "broker + \(shape.pools) fake pools × \(shape.workers) slots (least_loaded)",
                    pools: shape.pools, slots: shape.pools * shape.workers,
                    exchange: .task(selector: .leastLoaded), endpoint: broker.frontend
                )
            }
        }
    }
}
