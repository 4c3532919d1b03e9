import Foundation
import Mahavishnu
import MahavishnuMemory
import Testing

@Suite("Memory aggregation across pools", .serialized)
struct MemoryAggregationTests {
    /// Writes of at most 128 results: the 1,000 take several.
    static let smallWrites = ["MAHAVISHNU_MEMORY_BATCH_SIZE": "128"]

    @Test("1,000 tasks through three pools are stored exactly once, found by a distinctive word in the right pool, and kept across a restart")
    func thousandTasks() async throws {
        let database = TestDatabase()
        defer { database.remove() }
        let memory = MemoryCLI(database: database)
        let distinctive = try await Deployment.with(pools: [("p1", 4), ("p2", 4), ("p3", 4)], memoryDatabase: database, environment: Self.smallWrites) { deployment in
            let results = try await submitMemoryTasks(1_000, to: deployment)
            try await waitUntil("1,000 stored records", timeout: .seconds(60)) { try await memory.stats().records == 1_000 }
            let stats = try await memory.stats()
            #expect(stats.records == 1_000)
            #expect(stats.duplicatesIgnored == 0)
            #expect(stats.eventsMissed == 0)
            #expect(stats.missing.isEmpty)
            #expect(stats.syncs >= 8, "at most 128 results a write")
            #expect(Set(stats.pools.map(\.poolName)) == ["p1", "p2", "p3"])
            let ranPerPool = Dictionary(grouping: results, by: \.poolID).mapValues(\.count)
            #expect(Dictionary(uniqueKeysWithValues: stats.pools.map { ($0.poolID, $0.records) }) == ranPerPool, "each pool's count is the tasks it ran")

            let target = results[617]
            let found = try await memory.search(["quetzalcoatlus"])
            #expect(found.count == 1)
            #expect(found.first?.taskID == "memory-617")
            #expect(found.first?.poolID == target.poolID)
            #expect(found.first?.snippet.contains("[quetzalcoatlus]") == true)
            let poolName = try #require(stats.pools.first { $0.poolID == target.poolID }?.poolName)
            #expect(try await memory.search(["quetzalcoatlus", "--pool", poolName]).count == 1)
            let otherPool = try #require(stats.pools.first { $0.poolID != target.poolID }?.poolName)
            #expect(try await memory.search(["quetzalcoatlus", "--pool", otherPool]).isEmpty)
            let ranked = try await memory.search(["routine task", "--limit", "5"])
            #expect(ranked.count == 5)
            #expect(ranked.map(\.score) == ranked.map(\.score).sorted(by: >))
            return target
        }

        try await Deployment.with(pools: [("p1", 2)], memoryDatabase: database, environment: Self.smallWrites) { deployment in
            #expect(try await memory.stats().records == 1_000, "a new broker on the same database keeps what was stored")
            _ = try await submitMemoryTasks(10, to: deployment)
            try await waitUntil("the ten repeated task ids to be seen and ignored") { try await memory.stats().duplicatesIgnored == 10 }
            let stats = try await memory.stats()
            #expect(stats.records == 1_000)
            #expect(try await memory.search(["quetzalcoatlus"]).map(\.poolID) == [distinctive.poolID])
        }
    }

    @Test("memory commands refuse a missing database, a query with no words and a bad limit, each with a clear message")
    func memoryErrors() async throws {
        let missing = MemoryCLI(database: TestDatabase())
        let noDatabase = try await missing.run(["stats"])
        #expect(noDatabase.status != 0)
        #expect(noDatabase.stderr.contains("no memory database at \(missing.database.path)"))

        let database = TestDatabase()
        defer { database.remove() }
        try await Deployment.with(pools: [("p1", 1)], memoryDatabase: database) { _ in
            let memory = MemoryCLI(database: database)
            let empty = try await memory.run(["search", "  ?! "])
            #expect(empty.status != 0)
            #expect(empty.stderr.contains("the query '  ?! ' has no words to search for"))
            let badLimit = try await memory.run(["search", "word", "--limit", "0"])
            #expect(badLimit.status != 0)
            #expect(badLimit.stderr.contains("--limit must be at least 1"))
            let nothing = try await memory.run(["search", "absent"])
            #expect(nothing.status == 0)
            #expect(nothing.stdout.contains("no matches for 'absent'"))
        }
    }
}

/// Submits tasks `memory-0` … round robin, 64 at a time; task 617's prompt has a word no other has.
private func submitMemoryTasks(_ count: Int, to deployment: Deployment) async throws -> [TaskResult] {
    try await deployment.submit(
        count: count, window: 64, selector: .roundRobin,
        prompt: { $0 == 617 ? "Write the quetzalcoatlus API implementation" : "routine task number \($0)" },
        taskID: { "memory-\($0)" }
    )
}

/// `mahavishnu memory …` on one database, its JSON decoded.
struct MemoryCLI: Sendable {
    let database: TestDatabase

    func run(_ arguments: [String]) async throws -> CommandOutput {
        try await runCommand(mahavishnuExecutable, ["memory"] + arguments + ["--database", database.path])
    }

    func stats() async throws -> MemoryStats {
        try JSONCoding.decode(MemoryStats.self, from: Array(try await succeed(["stats", "--json"]).utf8))
    }

    /// `memory search ARGS --json`: an object like every other command's JSON, `{"results": [...]}`.
    func search(_ arguments: [String]) async throws -> [MemoryMatch] {
        try JSONCoding.decode(SearchReply.self, from: Array(try await succeed(["search"] + arguments + ["--json"]).utf8)).results
    }

    private struct SearchReply: Decodable { let results: [MemoryMatch] }

    private func succeed(_ arguments: [String]) async throws -> String {
        let output = try await run(arguments)
        guard output.status == 0 else { throw TestFailure("mahavishnu memory \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)") }
        return output.stdout
    }
}

@Suite("The memory store's latency and loss window, with a real broker and pool", .serialized)
struct MemoryLatencyTests {
    /// The documented loss window: the default `memory_sync_interval`.
    static let window = Duration.milliseconds(Int64(Settings().memorySyncInterval * 1000))

    @Test("with default settings memory search finds a result within 2 s of the client receiving it, and stats counts the write")
    func searchSoon() async throws {
        let database = TestDatabase()
        defer { database.remove() }
        let memory = MemoryCLI(database: database)
        try await Deployment.with(pools: [("p1", 2)], memoryDatabase: database) { deployment in
            let result = try await deployment.client.submit(TaskRequest(prompt: "find the okapi quickly"), taskID: "okapi-1", timeout: .seconds(30))
            #expect(result.status == .completed)
            try await waitUntil("memory search to find the result", timeout: .seconds(2)) {
                try await memory.search(["okapi"]).map(\.taskID) == ["okapi-1"]
            }
            let stats = try await memory.stats()
            #expect(stats.records == 1)
            #expect(stats.syncs > 0, "the write that stored it is a sync")
        }
    }

    @Test("results the client has are in the database within the documented window, and a SIGKILLed broker keeps them all")
    func brokerKilled() async throws {
        let database = TestDatabase()
        defer { database.remove() }
        let deployment = try await Deployment.start(pools: [("p1", 4), ("p2", 4)], memoryDatabase: database)
        let count = 400
        do {
            _ = try await deployment.submit(count: count, window: 64, selector: .roundRobin, prompt: { "crash window wombat \($0)" }, taskID: { "crash-\($0)" })
            // Every result is at the client: from now the store has `window` to hold them all.
            let store = try MemoryStore(path: database.path, create: false)
            try await waitUntil("all \(count) results in the database file", timeout: Self.window) { try await store.stats().records == count }
            deployment.broker.send(SIGKILL)
            #expect(try await deployment.broker.exitStatus(within: .seconds(10)) != 0)
        } catch {
            await deployment.shutdown()
            throw error
        }
        // The pools have lost their broker: no drain to wait for.
        for pool in ["p1", "p2"] { await deployment.pool(pool)?.stop(grace: .seconds(1)) }
        await deployment.shutdown()
        let reopened = try MemoryStore(path: database.path, create: false)
        let stats = try await reopened.stats()
        #expect(stats.records == count, "nothing written is lost with the broker")
        #expect(stats.eventsMissed == 0)
        #expect(try await reopened.search("wombat", limit: 1_000).count == count)
    }
}

@Suite("The MemoryAggregator API against a real broker", .serialized)
struct MemoryAggregatorAPITests {
    @Test("results are written as they arrive, never waiting for the interval; crossPoolSearch finds them across pools")
    func continuousWrites() async throws {
        try await Deployment.with(pools: [("a", 2), ("b", 2)], environment: ["MAHAVISHNU_MEMORY_AGGREGATION_ENABLED": "false"]) { deployment in
            let database = TestDatabase()
            defer { database.remove() }
            var configuration = aggregatorConfiguration(deployment, database)
            configuration.syncInterval = .seconds(3_600)
            configuration.batchSize = 10
            let (aggregator, running) = try await runningAggregator(configuration)
            defer { running.cancel() }

            _ = try await deployment.submit(count: 20, window: 20, selector: .roundRobin) { "batched lighthouse \($0)" }
            try await waitUntil("20 results written, long before the hour", timeout: .seconds(2)) {
                try await aggregator.crossPoolSearch("lighthouse", limit: 50).count == 20
            }
            let matches = try await aggregator.crossPoolSearch("lighthouse", limit: 50)
            #expect(Set(matches.map(\.poolName)) == ["a", "b"])
            #expect(matches.allSatisfy { $0.snippet.contains("[lighthouse]") })
            #expect(try await aggregator.crossPoolSearch("lighthouse", pool: "b", limit: 50).allSatisfy { $0.poolName == "b" })
            #expect(try await aggregator.stats().syncs >= 2, "at most 10 results a write")
            #expect(aggregator.busStatistics.missed == 0)
        }
    }

    @Test("a flood faster than SQLite writes: per pool, every result sent is stored or counted missing, and dropped task ids are listed")
    func flood() async throws {
        try await Deployment.with(pools: [], environment: ["MAHAVISHNU_MEMORY_AGGREGATION_ENABLED": "false"]) { deployment in
            let database = TestDatabase()
            defer { database.remove() }
            var configuration = aggregatorConfiguration(deployment, database)
            // Small buffers everywhere, so the flood overflows each of them.
            configuration.bus.highWaterMark = 500
            configuration.bus.subscriptionBuffer = 500
            configuration.maxPending = 200
            configuration.batchSize = 100
            let (aggregator, running) = try await runningAggregator(configuration)
            defer { running.cancel() }

            let pools = (0..<4).map { "pool_flood\($0)" }
            let publishers = try pools.map { pool in
                var bus = MessageBusConfiguration()
                bus.publishEndpoint = deployment.busPub
                bus.subscribeEndpoint = deployment.busSub
                bus.identity = pool
                return try MessageBus(configuration: bus)
            }
            defer { for publisher in publishers { publisher.close() } }
            for publisher in publishers { try await publisher.roundTrip() }
            // Long outputs: indexing them is what makes SQLite slower than the bus.
            let output = String(repeating: "every word of this output is indexed on its own ", count: 40)
            let perPool = 5_000
            func event(_ pool: String, _ index: Int) -> TaskCompletedEvent {
                let result = TaskResult(taskID: "\(pool)-\(index)", poolID: pool, workerID: "\(pool).w0", status: .completed, output: output, duration: 0.001)
                return TaskCompletedEvent(result: result, poolName: pool, prompt: "flood \(index)")
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (pool, publisher) in zip(pools, publishers) {
                    group.addTask {
                        for index in 0..<perPool { try publisher.publish(.taskCompleted, payload: event(pool, index)) }
                        try await publisher.roundTrip(timeout: .seconds(30))
                    }
                }
                try await group.waitForAll()
            }
            // Every flood message has passed the proxy, so once the aggregator's own probe is back
            // its bus has read (or lost) them all. A loss shows when the pool's next message
            // arrives: one last result each, which meets empty sockets, reveals the gaps.
            try await aggregator.start(timeout: .seconds(30))
            for (pool, publisher) in zip(pools, publishers) { try publisher.publish(.taskCompleted, payload: event(pool, perPool)) }

            let sent = perPool + 1
            try await waitUntil("every pool's results stored or counted missing", timeout: .seconds(60)) {
                let stats = try await aggregator.stats()
                return pools.allSatisfy { pool in
                    let stored = stats.pools.first { $0.poolID == pool }?.records ?? 0
                    return stored + stats.missing.filter { $0.poolID == pool }.reduce(0) { $0 + $1.count } == sent
                }
            }
            let stats = try await aggregator.stats()
            #expect(stats.records + stats.eventsMissed == sent * pools.count)
            let behind = stats.missing.filter { $0.reason == .storeBehind }
            #expect(!behind.isEmpty, "the flood outran the writer: \(stats.missing)")
            // Ids are kept for the first maxPending losses while the writer is behind; later ones are only counted.
            #expect(behind.contains { !$0.taskIDs.isEmpty } && behind.allSatisfy { $0.taskIDs.count <= min($0.count, 100) },
                    "dropped results are listed by task id: \(behind.map { ($0.poolID, $0.count, $0.taskIDs.count) })")
            #expect(stats.missing.filter { $0.reason != .storeBehind }.allSatisfy { $0.taskIDs.isEmpty })
            let listed = behind.flatMap(\.taskIDs)
            let stored = Set(try await aggregator.crossPoolSearch("flood", limit: sent * pools.count).map(\.taskID))
            #expect(stored.isDisjoint(with: listed), "a task listed missing is not stored")
        }
    }
}

/// An aggregator configuration on `deployment`'s bus, storing in `database`.
private func aggregatorConfiguration(_ deployment: Deployment, _ database: TestDatabase) -> MemoryAggregatorConfiguration {
    var configuration = MemoryAggregatorConfiguration()
    configuration.bus.publishEndpoint = deployment.busPub
    configuration.bus.subscribeEndpoint = deployment.busSub
    configuration.databasePath = database.path
    return configuration
}

/// A `MemoryAggregator` with `configuration`, its subscription in effect, running until `running` is cancelled.
private func runningAggregator(_ configuration: MemoryAggregatorConfiguration) async throws -> (aggregator: MemoryAggregator, running: Task<Void, Never>) {
    let aggregator = try MemoryAggregator(configuration: configuration)
    try await aggregator.start()
    return (aggregator, Task { await aggregator.run() })
}
