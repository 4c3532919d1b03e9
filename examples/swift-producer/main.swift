// A Swift producer: spawns a pool, routes tasks with every selector, and closes the pool.
//
//     swift run mahavishnu-example-producer [BROKER_FRONTEND]
//
// Needs a running broker (`mahavishnu up`).
import Mahavishnu

let broker = CommandLine.arguments.dropFirst().first ?? Settings().brokerFrontend
let pools = try PoolManager(broker: broker)
defer { pools.close() }

let poolID = try await pools.spawnPool("mahavishnu", config: PoolConfig(name: "example", minWorkers: 2, maxWorkers: 4))
print("spawned \(poolID)")

// Many tasks in flight at once from one PoolManager.
let results = try await withThrowingTaskGroup(of: TaskResult.self) { group in
    for (index, selector) in [PoolSelector.leastLoaded, .roundRobin, .random].enumerated() {
        for task in 0..<4 {
            group.addTask { try await pools.routeTask(TaskRequest(prompt: "task \(index).\(task)"), selector: selector) }
        }
    }
    group.addTask { try await pools.executeOnPool(poolID, task: TaskRequest(prompt: "pinned to example")) }
    var collected: [TaskResult] = []
    for try await result in group { collected.append(result) }
    return collected
}
for result in results.sorted(by: { $0.output < $1.output }) {
    print("\(result.output) -> \(result.poolID) \(result.workerID) \(result.status.rawValue)")
}

let health = try await pools.healthCheck()
print("health: \(health.status.rawValue), \(health.poolsActive) pools active")
try await pools.closePool(poolID)
print("closed \(poolID)")
