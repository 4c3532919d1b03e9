import Foundation
import Mahavishnu
import Testing

/// Sends `count` echo tasks from one raw DEALER and collects every RESULT or ERROR message it
/// gets back, duplicates included, until each task has an answer.
func rawProducer(_ endpoint: String, count: Int, sleepMilliseconds: Int) async throws -> [(taskID: String, attempts: Int, result: TaskResult?)] {
    try await RawPeer.session(endpoint) { peer in
        for index in 0..<count {
            try peer.send(["MHV1", "TASK", "raw-\(index)", "", "", "", #"{"prompt": "raw \#(index)", "sleep_ms": \#(sleepMilliseconds)}"#])
        }
        var answers: [(String, Int, TaskResult?)] = []
        var answered = Set<String>()
        while answered.count < count {
            let frames = try peer.receive(timeoutMilliseconds: 30_000)
            let command = String(decoding: frames[1], as: UTF8.self), taskID = String(decoding: frames[2], as: UTF8.self)
            let body = command == "RESULT" ? try JSONCoding.decode(TaskResult.self, from: frames[4]) : nil
            answers.append((taskID, command == "RESULT" ? Int(String(decoding: frames[3], as: UTF8.self)) ?? 0 : 0, body))
            answered.insert(taskID)
        }
        return answers
    }
}

/// How long a test keeps the broker down before starting it again.
enum BrokerOutage: Sendable, CustomTestStringConvertible {
    /// Until every pool has declared the broker silent and reconnects on a fresh socket.
    case untilPoolsNoticed
    /// No longer than a restart takes: the pools' sockets reconnect underneath them.
    case quick

    var testDescription: String { self == .quick ? "quick restart" : "outage until the pools noticed" }
}

@Suite("Pools that heal: failures lose no task", .serialized)
struct ResilienceTests {
    @Test("SIGKILL a pool with 500 tasks in flight across three pools: every task gets exactly one final result")
    func killPoolUnderLoad() async throws {
        try await Deployment.with(pools: [("a", 10), ("b", 10), ("c", 10)], settings: fastFailureSettings) { deployment in
            async let answers = rawProducer(deployment.frontend, count: 500, sleepMilliseconds: 100)
            try await waitUntil("pool b is busy") { try await deployment.pools()["b"]?.inFlight == 10 }
            deployment.pool("b")!.send(SIGKILL)
            deployment.forgetPool("b")
            let all = try await answers
            #expect(all.count == 500, "one message per task, no duplicates")
            #expect(Set(all.map(\.taskID)).count == 500)
            #expect(all.allSatisfy { $0.result?.status == .completed && $0.result?.output == "raw \($0.taskID.dropFirst(4))" })
            let retried = all.filter { $0.attempts == 2 }
            #expect(retried.count >= 10, "the tasks that were running on b ran again elsewhere")
            #expect(retried.allSatisfy { $0.result?.poolID != "pool_b" })
            let stats = try await deployment.stats()
            #expect(stats.resultsDelivered == 500)
            #expect(stats.inFlight == 0 && stats.queueDepth == 0)
            #expect(try await deployment.health().pools.first { $0.name == "b" }?.status == .lost)
        }
    }

    @Test("kill and restart the broker under load: pools re-register by themselves and a retrying client gets every result",
          arguments: [BrokerOutage.untilPoolsNoticed, .quick])
    func restartBrokerUnderLoad(outage: BrokerOutage) async throws {
        let settings = try writeSettings(fastFailureSettings)
        let broker = try await RestartableBroker(arguments: ["--settings", settings])
        let client = try BrokerClient(endpoint: broker.frontend, retryInterval: .milliseconds(300))
        defer { client.close() }
        do {
            for name in ["a", "b"] { _ = try await broker.startPool(name, workers: 4, settings: settings) }
            let results = Task {
                try await withThrowingTaskGroup(of: TaskResult.self) { group in
                    for index in 0..<200 {
                        group.addTask { try await client.submit(TaskRequest(prompt: "survivor \(index)", sleepMilliseconds: 30), taskID: "survivor-\(index)", timeout: .seconds(60)) }
                    }
                    return try await group.reduce(into: [TaskResult]()) { $0.append($1) }
                }
            }
            try await waitUntil("tasks are flowing") { try await client.control(.stats, as: BrokerStats.self).resultsDelivered > 20 }
            try await broker.kill()
            if outage == .untilPoolsNoticed {
                // Stay down long enough for the pools to give up on the old connection.
                let running = broker.pools
                try await waitUntil("the pools noticed the broker is gone") { running.allSatisfy { $0.stderrTail.contains("broker silent") } }
            }
            try await broker.restart()
            try await waitUntil("both pools registered with the new broker") {
                try await client.control(.list, as: PoolList.self).pools.count == 2
            }
            let all = try await results.value
            #expect(all.count == 200)
            #expect(Set(all.map(\.taskID)) == Set((0..<200).map { "survivor-\($0)" }))
            #expect(all.allSatisfy { $0.status == .completed && $0.output == "survivor \($0.taskID.dropFirst(9))" },
                    "no task failed: \(all.filter { $0.status != .completed }.prefix(3).map { $0.error ?? "" })")
            // One registration per pool session: the results a pool had queued during the outage
            // are refused `not_registered`, and one READY answers them all.
            let registrations = broker.process.stdoutLines.filter { $0.hasPrefix("pool ready") }
            #expect(registrations.count == 2, "registrations with the new broker: \(registrations)\n\(broker.process.stderrTail.suffix(3000))\n\(broker.pools.map { $0.stderrTail.suffix(3000) }.joined(separator: "\n---\n"))")
        } catch {
            await broker.shutdown()
            throw error
        }
        #expect(await broker.shutdown() == 0)
    }

    @Test("a task that crashes its pool every time ends failed / worker_lost after the retry budget, and the pools come back")
    func crashingTask() async throws {
        try await UpDeployment.with(pools: [("a", 1), ("b", 1), ("c", 1)], settings: fastFailureSettings + "task_retry_budget: 2\n") { deployment in
            let manager = try PoolManager(broker: deployment.frontend)
            defer { manager.close() }
            let result = try await manager.routeTask(TaskRequest(prompt: "poison", crash: true), selector: .roundRobin, timeout: .seconds(60))
            #expect(result.status == .failed)
            #expect(result.error?.hasPrefix("worker_lost") == true)
            #expect(result.attempts == 3)
            try await waitUntil("the crashed pools were restarted and are healthy", timeout: .seconds(30)) {
                try await manager.healthCheck().status == .healthy
            }
            let restarts = try await ["a", "b", "c"].asyncMap { try await manager.pool($0).metrics().restarts }
            #expect(restarts.reduce(0, +) == 3)
            let after = try await manager.routeTask(TaskRequest(prompt: "healthy again"), selector: .roundRobin)
            #expect(after.status == .completed)
            #expect(deployment.up.stdoutLines.contains { $0.hasPrefix("pool restarting") })
        }
    }

    @Test("scale up and down under load loses and kills nothing; targets outside [min, max] are refused")
    func scaleUnderLoad() async throws {
        try await UpDeployment.with(pools: [], settings: fastFailureSettings) { deployment in
            let manager = try PoolManager(broker: deployment.frontend)
            defer { manager.close() }
            let poolID = try await manager.spawnPool("mahavishnu", config: PoolConfig(name: "elastic", minWorkers: 1, maxWorkers: 8))
            let pool = manager.pool(poolID)
            let batch = Task { try await pool.executeBatch((0..<120).map { TaskRequest(prompt: "load \($0)", sleepMilliseconds: 40) }) }
            #expect(try await pool.scale(targetWorkers: 8).workers == 8)
            try await waitUntil("8 workers busy") { try await manager.listPools().first?.inFlight == 8 }
            #expect(try await pool.scale(targetWorkers: 1).workers == 1)
            #expect(try await pool.scale(targetWorkers: 4).workers == 4)
            let results = try await batch.value
            #expect(results.count == 120)
            #expect(results.enumerated().allSatisfy { $0.element.status == .completed && $0.element.output == "load \($0.offset)" })
            for target in [0, 9] {
                let refusal = await #expect(throws: BrokerClientError.self) { try await pool.scale(targetWorkers: target) }
                #expect(refusal?.code == .invalidArgument)
                #expect(refusal?.description.contains("range [1, 8]") == true)
            }
            try await waitUntil("the pool confirms 4 workers") { try await pool.metrics().vitals?.totalWorkers == 4 }
        }
    }

    @Test("autoscale: a burst grows a pool to max; idleness shrinks it back to min after the cooldown")
    func autoscale() async throws {
        try await UpDeployment.with(pools: [], settings: fastFailureSettings) { deployment in
            let manager = try PoolManager(broker: deployment.frontend)
            defer { manager.close() }
            let poolID = try await manager.spawnPool("mahavishnu", config: PoolConfig(name: "auto", minWorkers: 1, maxWorkers: 6, autoScale: true))
            let burst = Task { try await manager.pool(poolID).executeBatch((0..<40).map { TaskRequest(prompt: "burst \($0)", sleepMilliseconds: 100) }) }
            try await waitUntil("the pool grew to its max") { try await manager.listPools().first?.workers == 6 }
            let results = try await burst.value
            #expect(results.allSatisfy { $0.status == .completed })
            try await waitUntil("the pool shrank back to its min", timeout: .seconds(20)) { try await manager.listPools().first?.workers == 1 }
            // The broker's event line may reach the test after the pool's new size does.
            try await waitUntil("the shrink is reported") {
                deployment.up.stdoutLines.last { $0.hasPrefix("pool scaled name=auto") }?.contains("to=1") == true
            }
            let scaled = deployment.up.stdoutLines.filter { $0.hasPrefix("pool scaled name=auto") }
            #expect(scaled.first?.contains("from=1 to=6") == true)
        }
    }

    @Test("pool close drains: the running task finishes, then the process stops")
    func closeDrains() async throws {
        try await UpDeployment.with(pools: [("slow", 1)], settings: fastFailureSettings) { deployment in
            let manager = try PoolManager(broker: deployment.frontend)
            defer { manager.close() }
            let running = Task { try await manager.executeOnPool("slow", task: TaskRequest(prompt: "finish me", sleepMilliseconds: 800)) }
            try await waitUntil("the task is running") { try await manager.listPools().first?.inFlight == 1 }
            try await manager.closePool("slow")
            let result = try await running.value
            #expect(result.status == .completed && result.output == "finish me")
            #expect(try await manager.listPools().isEmpty)
            // One process (a re-registration after a missed heartbeat under load prints its pid again).
            #expect(Set(deployment.poolPIDs).count == 1)
            #expect(!processExists(deployment.poolPIDs[0]))
        }
    }

    @Test("executeBatch of 50 tasks on a 2-worker pool returns 50 results in order, over both workers")
    func batchInOrder() async throws {
        try await UpDeployment.with(pools: [("duo", 2)]) { deployment in
            let manager = try PoolManager(broker: deployment.frontend)
            defer { manager.close() }
            let results = try await manager.pool("duo").executeBatch((0..<50).map { TaskRequest(prompt: "item \($0)", sleepMilliseconds: $0 % 3 * 5) })
            #expect(results.map(\.output) == (0..<50).map { "item \($0)" })
            #expect(Set(results.map(\.workerID)).count == 2)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString).jsonl")
            try (0..<10).map { #"{"prompt": "line \#($0)"}"# }.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            let cli = try await deployment.cli(["pool", "batch", "duo", "--file", file.path, "--json"])
            #expect(cli.status == 0, "\(cli.stderr)")
            let outputs = cli.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.map { $0["output"] as? String }
            #expect(outputs == (0..<10).map { "line \($0)" })
        }
    }

    @Test("a retried task id is answered from the recent results, not run again")
    func duplicateIDsAreAnsweredFromCache() async throws {
        try await Deployment.with(pools: [("a", 1)]) { deployment in
            let first = try await deployment.client.submit(TaskRequest(prompt: "once"), taskID: "same-id", timeout: .seconds(30))
            let second = try await deployment.client.submit(TaskRequest(prompt: "once"), taskID: "same-id", timeout: .seconds(30))
            #expect(first == second)
            #expect(try await deployment.pools()["a"]?.tasksCompleted == 1)
            #expect(try await deployment.stats().resultsFromCache == 1)
        }
    }

    @Test("affinity tasks wait for their lost pool and run when it comes back")
    func affinityWaitsForLostPool() async throws {
        try await Deployment.with(pools: [("solo", 1), ("other", 1)], settings: fastFailureSettings) { deployment in
            deployment.pool("solo")!.send(SIGKILL)
            deployment.forgetPool("solo")
            try await waitUntil("solo is lost") { try await deployment.health().pools.first { $0.name == "solo" }?.status == .lost }
            let waiting = Task { try await deployment.client.submit(TaskRequest(prompt: "for solo"), selector: .affinity, affinity: "solo", timeout: .seconds(30)) }
            try await waitUntil("the task waits") { try await deployment.pools()["solo"]?.queued == 1 }
            try await deployment.startPool(name: "solo", workers: 1)
            let result = try await waiting.value
            #expect(result.poolID == "pool_solo" && result.output == "for solo")
        }
    }

    @Test("an affinity task fails pool_lost once its pool stayed away past affinity_wait_seconds")
    func affinityGivesUp() async throws {
        try await Deployment.with(pools: [("gone", 1)], settings: fastFailureSettings.replacingOccurrences(of: "affinity_wait_seconds: 20", with: "affinity_wait_seconds: 1")) { deployment in
            deployment.pool("gone")!.send(SIGKILL)
            deployment.forgetPool("gone")
            try await waitUntil("gone is lost") { try await deployment.pools()["gone"].map { _ in true } ?? false }
            let refusal = await #expect(throws: BrokerClientError.self) {
                try await deployment.client.submit(TaskRequest(prompt: "x"), selector: .affinity, affinity: "gone", timeout: .seconds(30))
            }
            #expect(refusal?.code == .poolLost)
            #expect(try await deployment.pools()["gone"] == nil)
        }
    }

    @Test("a hung pool is declared lost by heartbeats, and rejoins on its own once it runs again")
    func hungPoolRejoins() async throws {
        try await Deployment.with(pools: [("hung", 1)], settings: fastFailureSettings) { deployment in
            deployment.pool("hung")!.send(SIGSTOP)
            try await waitUntil("the silent pool is lost") { try await deployment.health().pools.first?.status == .lost }
            #expect(try await deployment.health().status == .unhealthy)
            deployment.pool("hung")!.send(SIGCONT)
            try await waitUntil("the pool re-registered on a fresh socket") { try await deployment.health().status == .healthy }
            let result = try await deployment.client.submit(TaskRequest(prompt: "back"), selector: .affinity, affinity: "hung", timeout: .seconds(30))
            #expect(result.output == "back")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
