import Foundation
import Mahavishnu
import Testing

/// A broker that has just started does not know its pools yet: affinity tasks wait for them.
@Suite("Affinity tasks at a fresh broker, and batches that are partly refused", .serialized)
struct AffinityAfterStartTests {
    @Test("an affinity task for a pool not registered yet waits for it during affinity_wait_seconds and runs on it")
    func waitsForAPoolThatRegistersLate() async throws {
        try await Deployment.with(pools: [], settings: fastFailureSettings) { deployment in
            let client = deployment.client
            let waiting = Task { try await client.submit(TaskRequest(prompt: "for late"), taskID: "late-1", selector: .affinity, affinity: "late", timeout: .seconds(30)) }
            try await waitUntil("late-1 waits in the broker") { try await client.task("late-1").state == .queued }
            #expect(try await deployment.stats().queueDepth == 1)
            try await deployment.startPool(name: "late", workers: 1)
            let result = try await waiting.value
            #expect(result.poolID == "pool_late" && result.output == "for late")
            #expect(try await deployment.stats().queueDepth == 0)
        }
    }

    @Test("once the start-up wait is over, what still waits gets no_such_pool, and new tasks get it at once")
    func refusedAfterTheWait() async throws {
        let settings = fastFailureSettings.replacingOccurrences(of: "affinity_wait_seconds: 20", with: "affinity_wait_seconds: 3")
        try await Deployment.with(pools: [], settings: settings) { deployment in
            let client = deployment.client
            let waiting = Task { try await client.submit(TaskRequest(prompt: "x"), taskID: "never-1", selector: .affinity, affinity: "never", timeout: .seconds(30)) }
            try await waitUntil("never-1 waits in the broker") { try await client.task("never-1").state == .queued }
            let refusal = await #expect(throws: BrokerClientError.self) { try await waiting.value }
            #expect(refusal?.code == .noSuchPool)
            #expect(refusal?.description.contains("affinity_wait_seconds") == true, "\(String(describing: refusal))")
            let started = ContinuousClock.now
            let later = await #expect(throws: BrokerClientError.self) {
                try await client.submit(TaskRequest(prompt: "x"), selector: .affinity, affinity: "never", timeout: .seconds(30))
            }
            #expect(later?.code == .noSuchPool)
            #expect(ContinuousClock.now - started < .seconds(2), "refused at once after the wait")
        }
    }

    @Test("pool batch prints every result it has, refused tasks included, and exits non-zero")
    func batchPrintsEveryResult() async throws {
        try await Deployment.with(pools: [("batchy", 1)], settings: fastFailureSettings) { deployment in
            let lines = (0..<6).map { #"{"prompt": "item \#($0)", "sleep_ms": 400}"# }.joined(separator: "\n")
            let file = try temporaryFile("batch", suffix: ".jsonl", lines)
            let batch = Task {
                try await runCommand(mahavishnuExecutable, ["pool", "batch", "batchy", "--file", file, "--json", "--broker", deployment.frontend])
            }
            try await waitUntil("the batch is running") { try await deployment.pools()["batchy"]?.queued ?? 0 >= 4 }
            // Closing the pool refuses the tasks waiting for it; the running one finishes.
            _ = try await deployment.client.control(.close, arguments: JSONCoding.encode(PoolReference(pool: "batchy")), as: PoolIdentity.self, timeout: .seconds(30))
            deployment.forgetPool("batchy")
            let output = try await batch.value
            #expect(output.status != 0)
            let results = try output.stdout.split(separator: "\n").map { try JSONCoding.decode(TaskResult.self, from: Array($0.utf8)) }
            #expect(results.count == 6, "one line per task: \(output.stdout)")
            // The batch sends its tasks concurrently, so any one of them may be the one that was running.
            let completed = results.enumerated().filter { $0.element.status == .completed }
            #expect(!completed.isEmpty && completed.allSatisfy { $0.element.output == "item \($0.offset)" }, "\(output.stdout)")
            #expect(results.filter { $0.status == .failed }.allSatisfy { $0.error?.contains("no_such_pool") == true })
            #expect(results.contains { $0.status == .failed })
            #expect(output.stderr.contains("failed"))
        }
    }

    @Test("selectors never pick a worker; close_all leaves the workers")
    func selectorsSkipWorkers() async throws {
        try await Deployment.with(pools: [("plain", 2)]) { deployment in
            let workers = try WorkerManager(broker: deployment.frontend)
            defer { workers.close() }
            let ids = try await workers.spawnWorkers(workerType: "echo", count: 3)
            for selector in [PoolSelector.leastLoaded, .roundRobin, .random] {
                let results = try await deployment.submit(count: 30, window: 10, selector: selector)
                #expect(results.allSatisfy { $0.poolID == "pool_plain" }, "\(selector): \(Set(results.map(\.poolID)))")
            }
            let direct = try await workers.executeTask(ids[0], task: TaskRequest(prompt: "to the worker"))
            #expect(direct.poolID == ids[0])
            let manager = try PoolManager(broker: deployment.frontend)
            defer { manager.close() }
            let spawned = try await manager.spawnPool("mahavishnu", config: PoolConfig(name: "spawned", minWorkers: 1, maxWorkers: 1))
            let closed = try await manager.closeAll()
            #expect(Set(closed) == ["pool_plain", spawned], "close_all closed the pools and no worker")
            deployment.forgetPool("plain")
            #expect(try await workers.listWorkers().map(\.workerID) == ids, "close_all left the workers alone")
            try await workers.closeAll()
        }
    }
}
