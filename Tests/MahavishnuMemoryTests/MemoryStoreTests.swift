import Foundation
import MahavishnuCore
import MahavishnuMemory
import Testing

@Suite("The memory store on a real SQLite file")
struct MemoryStoreTests {
    /// A fresh database path in a directory of its own, removed by `body`'s end.
    private func withStore<T>(_ body: (MemoryStore, String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memory-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/memory.sqlite").path
        return try await body(try MemoryStore(path: path), path)
    }

    private func event(_ taskID: String, pool: String = "pool_a", name: String = "a", prompt: String, output: String? = nil) -> TaskCompletedEvent {
        let result = TaskResult(taskID: taskID, poolID: pool, workerID: "\(pool).w0", status: .completed, output: output ?? prompt, duration: 0.01)
        return TaskCompletedEvent(result: result, poolName: name, prompt: prompt, completedAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test("each task id is stored once, however often it is written; every write counts as a sync")
    func storesOnce() async throws {
        try await withStore { store, _ in
            let batch = [event("t1", prompt: "alpha"), event("t2", prompt: "beta")]
            #expect(try await store.store(batch) == 2)
            #expect(try await store.store(batch + [event("t3", prompt: "gamma")]) == 1)
            #expect(try await store.store([event("t1", prompt: "changed")]) == 0)
            let stats = try await store.stats()
            #expect(stats.records == 3)
            #expect(stats.duplicatesIgnored == 3)
            #expect(stats.eventsMissed == 0)
            #expect(stats.missing.isEmpty)
            #expect(stats.syncs == 3, "one per write, whatever it held")
            #expect(try await store.search("alpha").first?.prompt == "alpha", "the first report of a task id is the one kept")
        }
    }

    @Test("losses are kept per pool and reason, a known task id once and only while its result is not stored")
    func losses() async throws {
        try await withStore { store, _ in
            try await store.store([event("t1", pool: "pool_a", prompt: "kept")])
            var losses = MemoryLosses()
            losses.count(5, from: "pool_b", reason: .bus)
            losses.add(taskID: "t1", poolID: "pool_a", reason: .storeBehind)
            losses.add(taskID: "t2", poolID: "pool_a", reason: .storeBehind)
            losses.add(taskID: "t3", poolID: "pool_a", reason: .storeBehind)
            losses.add(taskID: "t3", poolID: "pool_a", reason: .storeBehind)
            try await store.store([], losses: losses)
            var stats = try await store.stats()
            #expect(stats.eventsMissed == 7, "five unknown ids, t2 and t3 once each; t1 is stored")
            #expect(stats.missing == [
                MemoryStats.Missing(poolID: "pool_a", poolName: "a", reason: .storeBehind, count: 2, taskIDs: ["t2", "t3"]),
                MemoryStats.Missing(poolID: "pool_b", poolName: nil, reason: .bus, count: 5, taskIDs: []),
            ])

            try await store.store([event("t2", pool: "pool_a", prompt: "retried")])
            stats = try await store.stats()
            #expect(stats.eventsMissed == 6, "t2's retry reached the store")
            #expect(stats.missing.first == MemoryStats.Missing(poolID: "pool_a", poolName: "a", reason: .storeBehind, count: 1, taskIDs: ["t3"]))
            #expect(stats.records + stats.eventsMissed == 8, "t1, t2, t3 and five unknown")
        }
    }

    @Test("search ranks matches across pools, stems words, marks them in a snippet, and filters by pool name or id")
    func search() async throws {
        try await withStore { store, _ in
            try await store.store([
                event("t1", pool: "pool_a", name: "a", prompt: "Write the API implementation", output: "API implementation done; the API implementation is tested"),
                event("t2", pool: "pool_b", name: "b", prompt: "Document the API", output: "implemented docs"),
                event("t3", pool: "pool_c", name: "c", prompt: "Unrelated", output: "nothing here"),
            ])
            let matches = try await store.search("API implementation")
            #expect(matches.map(\.taskID) == ["t1", "t2"], "both words (implemented stems to implement), best first")
            #expect(matches[0].score > matches[1].score)
            #expect(matches[0].snippet.contains("[API] [implementation]"))
            #expect(matches[0].poolName == "a")
            #expect(try await store.search("API implementation", pool: "b").map(\.taskID) == ["t2"])
            #expect(try await store.search("API implementation", pool: "pool_b").map(\.taskID) == ["t2"])
            #expect(try await store.search("API implementation", limit: 1).map(\.taskID) == ["t1"])
            #expect(try await store.search("\"API (-implementation*").map(\.taskID) == ["t1", "t2"], "FTS5 syntax in a query is plain text, never a syntax error")
        }
    }

    @Test("every stored result is found, once, whichever batch it came in and however often it was sent")
    func indexedOnce() async throws {
        try await withStore { store, _ in
            try await store.store([event("t1", prompt: "kiwi one"), event("t2", prompt: "kiwi two")])
            try await store.store([event("t2", prompt: "kiwi two"), event("t3", prompt: "kiwi three"), event("t1", prompt: "kiwi again")])
            try await store.store((4...600).map { event("t\($0)", prompt: "kiwi \($0)") })
            let matches = try await store.search("kiwi", limit: 1_000)
            #expect(matches.count == 600)
            #expect(Set(matches.map(\.taskID)) == Set((1...600).map { "t\($0)" }))
            #expect(try await store.search("again").isEmpty, "a task id's later report is neither stored nor indexed")
        }
    }

    @Test("a query with no words, a limit below 1 and a missing database are refused by name")
    func refusals() async throws {
        try await withStore { store, path in
            await #expect(throws: MemoryStoreError.emptyQuery(" ... ")) { try await store.search(" ... ") }
            await #expect(throws: MemoryStoreError.invalidLimit(0)) { try await store.search("word", limit: 0) }
            #expect(throws: MemoryStoreError.noDatabase(path + ".missing")) { try MemoryStore(path: path + ".missing", create: false) }
        }
    }

    @Test("what was stored is there after the store is opened again")
    func reopen() async throws {
        try await withStore { store, path in
            try await store.store([event("t1", prompt: "persistent memory")])
            let again = try MemoryStore(path: path, create: false)
            #expect(try await again.stats().records == 1)
            #expect(try await again.search("persistent").map(\.taskID) == ["t1"])
        }
    }
}
