import MahavishnuCore

/// `memory`: resident memory of the broker (idle, with 100 pools, after many tasks) and of a
/// pool process (idle, and with 100 workers).
extension BenchSession {
    func runMemory() throws {
        try withProcesses { processes in
            // As shipped: memory aggregation on.
            let broker = try processes.startBroker(memoryDatabase: memoryDatabase)
            try withDriver(.control(ControlCommand.stats.rawValue), at: broker.frontend, target: "broker") { _ = try $0.latency(samples: 1, warmUp: 0) }
            try recordMemory("broker/idle", label: "broker, idle", pid: broker.process.pid)

            try processes.startFakePools(count: 100, workers: 1, broker: broker)
            try recordMemory("broker/100-pools", label: "broker, 100 pools registered", pid: broker.process.pid)
            let warmUp = plan.memoryWarmUpTasks
            try withDriver(.task(selector: .leastLoaded), at: broker.frontend, target: "broker") { driver in
                progress.say("memory: \(warmUp) tasks through the broker, window \(plan.window)")
                _ = try driver.throughput(tasks: warmUp, window: plan.window)
                try recordMemory("broker/warm", label: "broker, 100 pools, after \(warmUp) tasks", pid: broker.process.pid)
                progress.say("memory: \(plan.memoryTasks - warmUp) more tasks")
                _ = try driver.throughput(tasks: plan.memoryTasks - warmUp, window: plan.window)
                try recordMemory("broker/after-tasks", label: "broker, 100 pools, after \(plan.memoryTasks) tasks", pid: broker.process.pid)
            }

            let idle = try processes.startPool(name: "idle", workers: 1, broker: broker)
            try recordMemory("pool/idle", label: "pool process, idle (1 worker)", pid: idle.pid)
            let wide = try processes.startPool(name: "wide", workers: 100, broker: broker)
            try recordMemory("pool/100-workers", label: "pool process, 100 workers", pid: wide.pid)
            try withDriver(.task(selector: .affinity, affinities: ["wide"]), at: broker.frontend, target: "broker") { driver in
                progress.say("memory: \(plan.poolMemoryTasks) tasks through the 100-worker pool")
                _ = try driver.throughput(tasks: plan.poolMemoryTasks, window: plan.window)
            }
            try recordMemory("pool/100-workers-after-tasks", label: "pool process, 100 workers, after \(plan.poolMemoryTasks) tasks", pid: wide.pid)
        }
        note("memory: pool processes are mahavishnu-pool, the executable a broker starts; the broker is `mahavishnu broker` from the same build directory; the broker's 100 pools are fake pools.")
    }
}
