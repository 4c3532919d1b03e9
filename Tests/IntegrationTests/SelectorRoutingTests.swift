import Foundation
import Mahavishnu
import Testing

/// Counts results per pool id.
func distribution(_ results: [TaskResult]) -> [String: Int] {
    results.reduce(into: [:]) { $0[$1.poolID, default: 0] += 1 }
}

@Suite("Routing across real pool processes", .serialized)
struct SelectorRoutingTests {
    static let threePools: [(name: String, workers: Int)] = [("a", 2), ("b", 2), ("c", 2)]

    @Test("round_robin splits 30 tasks 10/10/10 over three pools")
    func roundRobin() async throws {
        try await Deployment.with(pools: Self.threePools) { deployment in
            // At most 2 in flight, one pool's capacity: no pool is ever full, so the ring never skips one.
            let results = try await deployment.submit(count: 30, window: 2, selector: .roundRobin)
            #expect(results.allSatisfy { $0.status == .completed })
            #expect(results.enumerated().allSatisfy { $0.element.output == "task \($0.offset)" })
            #expect(distribution(results) == ["pool_a": 10, "pool_b": 10, "pool_c": 10])
        }
    }

    @Test("least_loaded avoids a pool whose workers are all busy, and uses it again once free")
    func leastLoaded() async throws {
        try await Deployment.with(pools: Self.threePools) { deployment in
            let client = deployment.client
            // Both of pool a's workers take a slow task; they are sent first on the same socket, so they are routed first.
            let slow = Task {
                try await deployment.submit(count: 2, window: 2, selector: .affinity, affinity: "a", sleepMilliseconds: 4_000)
            }
            try await waitUntil("pool a is busy") { try await deployment.pools()["a"]?.inFlight == 2 }
            let quick = try await deployment.submit(count: 20, window: 3, selector: .leastLoaded)
            #expect(quick.allSatisfy { $0.poolID != "pool_a" })
            #expect(Set(quick.map(\.poolID)) == ["pool_b", "pool_c"])
            let slowResults = try await slow.value
            #expect(slowResults.allSatisfy { $0.poolID == "pool_a" })
            // All idle now: equal load, and a is the least recently used pool.
            let next = try await client.submit(TaskRequest(prompt: "after"), selector: .leastLoaded, timeout: .seconds(30))
            #expect(next.poolID == "pool_a")
        }
    }

    @Test("affinity keeps 20 tasks on pool b even while b is busy; unknown pools are refused by name")
    func affinity() async throws {
        // A fresh broker holds affinity tasks for unknown pools for affinity_wait_seconds: 1 s here.
        try await Deployment.with(pools: Self.threePools, environment: ["MAHAVISHNU_AFFINITY_WAIT_SECONDS": "1"]) { deployment in
            let results = try await deployment.submit(count: 20, window: 20, selector: .affinity, affinity: "b", sleepMilliseconds: 20)
            #expect(results.allSatisfy { $0.poolID == "pool_b" && $0.status == .completed })
            #expect(Set(results.map(\.workerID)) == ["pool_b.w0", "pool_b.w1"])
            let pools = try await deployment.pools()
            #expect(pools["a"]?.tasksCompleted == 0)
            #expect(pools["c"]?.tasksCompleted == 0)

            let byID = try await deployment.client.submit(TaskRequest(prompt: "by id"), selector: .affinity, affinity: "pool_c", timeout: .seconds(30))
            #expect(byID.poolID == "pool_c")

            let refusal = await #expect(throws: BrokerClientError.self) {
                try await deployment.client.submit(TaskRequest(prompt: "x"), selector: .affinity, affinity: "nowhere", timeout: .seconds(30))
            }
            #expect(refusal?.code == .noSuchPool)
            #expect(refusal?.description.contains("'nowhere'") == true)

            let fallback = try await deployment.client.submit(TaskRequest(prompt: "fallback"), selector: .affinity, affinity: "nowhere", fallback: .roundRobin, timeout: .seconds(30))
            #expect(fallback.status == .completed)
        }
    }

    @Test("random reaches all three pools over 60 tasks")
    func random() async throws {
        try await Deployment.with(pools: Self.threePools) { deployment in
            let results = try await deployment.submit(count: 60, window: 4, selector: .random)
            #expect(results.allSatisfy { $0.status == .completed })
            #expect(Set(results.map(\.poolID)) == ["pool_a", "pool_b", "pool_c"])
        }
    }

    @Test("tasks without a selector use the broker's default; an invalid selector is refused with the valid list")
    func defaultAndInvalidSelector() async throws {
        try await Deployment.with(pools: Self.threePools, brokerArguments: ["--selector", "round_robin"]) { deployment in
            let results = try await deployment.submit(count: 6, window: 1, selector: nil)
            #expect(distribution(results) == ["pool_a": 2, "pool_b": 2, "pool_c": 2])
            let frames: [[UInt8]] = [Array("MHV1".utf8), Array("TASK".utf8), Array("t-bad".utf8), Array("fastest".utf8), [], [], Array(#"{"prompt":"x"}"#.utf8)]
            let reply = try await RawPeer.exchange(frames, with: deployment.frontend)
            #expect(reply.map { String(decoding: $0, as: UTF8.self) } == ["MHV1", "ERROR", "t-bad", "invalid_selector", "invalid selector 'fastest'; valid selectors: least_loaded, round_robin, random, affinity"])
        }
    }

    @Test("past the queue bound, tasks are refused with overloaded at once and every accepted task completes")
    func overload() async throws {
        try await Deployment.with(pools: [("solo", 2)], brokerArguments: ["--queue-bound", "3"]) { deployment in
            let client = deployment.client
            let events = EventLog()
            let accepted = (0..<5).map { index in
                Task {
                    let result = try await client.submit(TaskRequest(prompt: "slow \(index)", sleepMilliseconds: 2_000), taskID: "slow-\(index)", timeout: .seconds(30))
                    await events.record("result")
                    return result
                }
            }
            try await waitUntil("2 running and 3 queued") {
                let stats = try await deployment.stats()
                return stats.inFlight == 2 && stats.queueDepth == 3
            }
            for index in 0..<3 {
                let refusal = await #expect(throws: BrokerClientError.self) {
                    try await client.submit(TaskRequest(prompt: "extra"), taskID: "extra-\(index)", timeout: .seconds(30))
                }
                #expect(refusal?.code == .overloaded)
                await events.record("overloaded")
            }
            var outputs: [String] = []
            for task in accepted { outputs.append(try await task.value.output) }
            #expect(outputs == (0..<5).map { "slow \($0)" })
            #expect(await events.entries == ["overloaded", "overloaded", "overloaded"] + Array(repeating: "result", count: 5))
            #expect(try await deployment.stats().tasksRefusedOverloaded == 3)
        }
    }
}

/// An ordered record of what happened, across tasks.
actor EventLog {
    private(set) var entries: [String] = []
    func record(_ entry: String) { entries.append(entry) }
}

/// Polls `condition` until it holds (waiting for an observable state, not for time to pass).
func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: @escaping @Sendable () async throws -> Bool) async throws {
    try await withDeadline(timeout, what: what) {
        while try await !condition() { try await Task.sleep(for: .milliseconds(20)) }
    }
}
