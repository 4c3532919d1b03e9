import Foundation
import Mahavishnu
import Testing

@Suite("Memory aggregation across pools", .serialized)
struct MemoryAggregationTests {
    /// Syncs every 0.2 s, batches of 128: many writes of both kinds during the run.
    static let quickSync = ["MAHAVISHNU_MEMORY_SYNC_INTERVAL": "0.2", "MAHAVISHNU_MEMORY_BATCH_SIZE": "128"]

    @Test("1,000 tasks through three pools are stored exactly once, found by a distinctive word in the right pool, and kept across a restart")
    func thousandTasks() async throws {
        let database = TestDatabase()
        defer { database.remove() }
        let memory = MemoryCLI(database: database)
        let distinctive = try await Deployment.with(pools: [("p1", 4), ("p2", 4), ("p3", 4)], memoryDatabase: database, environment: Self.quickSync) { deployment in
            let results = try await submitMemoryTasks(1_000, to: deployment)
            try await waitUntil("1,000 stored records", timeout: .seconds(60)) { try await memory.stats().records == 1_000 }
            let syncs = try await memory.stats().syncs
            try await waitUntil("three more syncs") { try await memory.stats().syncs >= syncs + 3 }
            let stats = try await memory.stats()
            #expect(stats.records == 1_000)
            #expect(stats.duplicatesIgnored == 0)
            #expect(stats.eventsMissed == 0)
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

        try await Deployment.with(pools: [("p1", 2)], memoryDatabase: database, environment: Self.quickSync) { deployment in
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

@Suite("The MemoryAggregator API against a real broker", .serialized)
struct MemoryAggregatorAPITests {
    @Test("a full batch is written without waiting for the interval; a quiet interval writes what is there; crossPoolSearch finds both across pools")
    func batchesAndIntervals() async throws {
        try await Deployment.with(pools: [("a", 2), ("b", 2)], environment: ["MAHAVISHNU_MEMORY_AGGREGATION_ENABLED": "false"]) { deployment in
            let database = TestDatabase()
            defer { database.remove() }
            var configuration = MemoryAggregatorConfiguration()
            configuration.bus.publishEndpoint = deployment.busPub
            configuration.bus.subscribeEndpoint = deployment.busSub
            configuration.databasePath = database.path
            configuration.syncInterval = .seconds(3_600)
            configuration.batchSize = 10
            let (batching, running) = try await runningAggregator(configuration)
            defer { running.cancel() }

            _ = try await deployment.submit(count: 20, window: 20, selector: .roundRobin) { "batched lighthouse \($0)" }
            try await waitUntil("two full batches of 10 to be written, long before the hour") {
                try await batching.crossPoolSearch("lighthouse", limit: 50).count == 20
            }
            let matches = try await batching.crossPoolSearch("lighthouse", limit: 50)
            #expect(Set(matches.map(\.poolName)) == ["a", "b"])
            #expect(matches.allSatisfy { $0.snippet.contains("[lighthouse]") })
            #expect(try await batching.crossPoolSearch("lighthouse", pool: "b", limit: 50).allSatisfy { $0.poolName == "b" })
            running.cancel()
            await running.value

            configuration.syncInterval = .milliseconds(100)
            configuration.batchSize = 1_000
            let (periodic, syncing) = try await runningAggregator(configuration)
            defer { syncing.cancel() }
            _ = try await deployment.submit(count: 3, window: 3, selector: .roundRobin) { "periodic beacon \($0)" }
            try await waitUntil("the interval to write three results, far short of a batch") {
                try await periodic.crossPoolSearch("beacon").count == 3
            }
            #expect(try await periodic.stats().records == 23)
            #expect(periodic.busStatistics.missed == 0)
        }
    }
}

/// A `MemoryAggregator` with `configuration`, its subscription in effect, running until `running` is cancelled.
private func runningAggregator(_ configuration: MemoryAggregatorConfiguration) async throws -> (aggregator: MemoryAggregator, running: Task<Void, Never>) {
    let aggregator = try MemoryAggregator(configuration: configuration)
    try await aggregator.start()
    return (aggregator, Task { await aggregator.run() })
}
