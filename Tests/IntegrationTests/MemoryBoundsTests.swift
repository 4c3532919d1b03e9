import Foundation
import Mahavishnu
import Testing

/// The broker's memory is bounded in bytes: each bound refuses with an error naming its setting
/// and loses no accepted task, and memory goes back to the system after a burst.
@Suite("Memory bounds in bytes", .serialized)
struct MemoryBoundsTests {
    /// A prompt of `bytes` letters.
    func prompt(_ bytes: Int, _ letter: Character = "x") -> String { String(repeating: letter, count: bytes) }

    /// The broker's refusal of `request`, or a failure if it was accepted.
    func refusal(_ client: BrokerClient, _ request: TaskRequest) async throws -> (code: String, message: String) {
        do {
            let result = try await client.submit(request, timeout: .seconds(30))
            throw TestFailure("the task was accepted and ended \(result.status)")
        } catch BrokerClientError.refused(let code, let message) {
            return (code, message)
        }
    }

    @Test("a task body over max_task_bytes is refused too_large, naming the setting; a far larger frame costs only its sender's connection")
    func taskTooLarge() async throws {
        try await Deployment.with(pools: [("a", 1)], settings: "max_task_bytes: 64 KiB\n") { deployment in
            let refused = try await refusal(deployment.client, TaskRequest(prompt: prompt(100_000)))
            #expect(refused.code == "too_large")
            #expect(refused.message.contains("at most 64 KiB (max_task_bytes)"), "\(refused.message)")
            let stats = try await deployment.stats()
            #expect(stats.tasksRefusedTooLarge == 1)
            #expect(stats.queueDepth == 0)

            // 2 MiB passes the frontend's frame limit (16 × 64 KiB, at least 1 MiB over it): libzmq drops that connection unread.
            let huge = [UInt8](repeating: 0x61, count: 2 << 20)
            try await RawPeer.session(deployment.frontend) { peer in
                try peer.send([Array("MHV1".utf8), Array("TASK".utf8), Array("huge".utf8), [], [], [], huge])
                #expect(throws: TestFailure.self) { _ = try peer.receive(timeoutMilliseconds: 1_000) }
            }
            #expect(try await deployment.client.submit(TaskRequest(prompt: "still serving"), timeout: .seconds(30)).output == "still serving")
        }
    }

    @Test("queued bodies past broker_queue_bytes are refused overloaded naming broker_queue_bytes; every accepted task still runs")
    func queueBytes() async throws {
        try await Deployment.with(pools: [], settings: fastFailureSettings + "broker_queue_bytes: 1 MiB\nmax_task_bytes: 256 KiB\n") { deployment in
            let client = deployment.client
            let accepted = (0..<5).map { index in
                Task { try await client.submit(TaskRequest(prompt: prompt(200_000, Character("\(index)"))), taskID: "queued-\(index)", timeout: .seconds(60)) }
            }
            try await waitUntil("five tasks wait in the queue") { try await deployment.stats().queueDepth == 5 }
            let stats = try await deployment.stats()
            #expect(stats.queueBytes > 5 * 200_000 && stats.queueBytes < 5 * 201_000, "\(stats.queueBytes)")

            let refused = try await refusal(client, TaskRequest(prompt: prompt(200_000)))
            #expect(refused.code == "overloaded")
            #expect(refused.message.contains("would pass broker_queue_bytes 1 MiB"), "\(refused.message)")
            #expect(refused.message.contains("raise broker_queue_bytes"))
            #expect(try await refusal(client, TaskRequest(prompt: prompt(60_000))).code == "overloaded", "60 KB does not fit in what is left either")

            try await deployment.startPool(name: "late", workers: 2)
            for (index, task) in accepted.enumerated() {
                let result = try await task.value
                #expect(result.status == .completed)
                #expect(result.output == prompt(200_000, Character("\(index)")))
            }
            try await waitUntil("the queue is empty again") { try await deployment.stats().queueBytes == 0 }
        }
    }

    @Test("the result cache keeps result_cache_bytes of the newest results: an old id runs again, a recent one comes from the cache")
    func resultCacheBytes() async throws {
        try await Deployment.with(pools: [("a", 2)], settings: "result_cache_bytes: 256 KiB\n") { deployment in
            let client = deployment.client
            for index in 0..<5 {
                _ = try await client.submit(TaskRequest(prompt: prompt(100_000)), taskID: "big-\(index)", timeout: .seconds(30))
            }
            let before = try await deployment.stats()
            #expect(before.resultCacheEntries == 2)
            #expect(before.resultCacheBytes > 200_000 && before.resultCacheBytes <= 256 << 10, "\(before.resultCacheBytes)")

            _ = try await client.submit(TaskRequest(prompt: prompt(100_000)), taskID: "big-4", timeout: .seconds(30))
            let cached = try await deployment.stats()
            #expect(cached.resultsFromCache == before.resultsFromCache + 1)
            #expect(cached.tasksDispatched == before.tasksDispatched)

            _ = try await client.submit(TaskRequest(prompt: prompt(100_000)), taskID: "big-0", timeout: .seconds(30))
            let rerun = try await deployment.stats()
            #expect(rerun.resultsFromCache == cached.resultsFromCache, "the oldest result was dropped for bytes")
            #expect(rerun.tasksDispatched == cached.tasksDispatched + 1)
        }
    }

    @Test("a result over max_result_bytes reaches the producer as failed result_too_large, and the pool keeps serving")
    func resultTooLarge() async throws {
        try await Deployment.with(pools: [("a", 1)], settings: "max_result_bytes: 64 KiB\n") { deployment in
            let result = try await deployment.client.submit(TaskRequest(prompt: prompt(100_000)), timeout: .seconds(30))
            #expect(result.status == .failed)
            #expect(result.output.isEmpty)
            let error = result.error ?? ""
            #expect(error.hasPrefix("result_too_large:") && error.contains("at most 64 KiB (max_result_bytes)"), "\(error)")
            #expect(try await deployment.client.submit(TaskRequest(prompt: "small"), timeout: .seconds(30)).status == .completed)
        }
    }

    @Test("after a burst of queued tasks the broker gives the memory back")
    func memoryReturnedAfterBurst() async throws {
        // The memory store keeps its own copy of results until written; this test is about the router's.
        let settings = fastFailureSettings + "result_cache_bytes: 1 MiB\nmemory_aggregation_enabled: false\n"
        try await Deployment.with(pools: [], settings: settings) { deployment in
            let baseline = try residentBytes(deployment.broker.pid)
            let frontend = deployment.frontend
            // Bodies below glibc's mmap threshold live on the heap, which glibc does not shrink by itself.
            // A raw producer sends each task once: no resends to add load.
            let producer = Task {
                try await RawPeer.session(frontend) { peer in
                    let body = Array(#"{"prompt":"burst","padding":"\#(String(repeating: "x", count: 80 << 10))"}"#.utf8)
                    for index in 0..<1_200 { try peer.send([Array("MHV1".utf8), Array("TASK".utf8), Array("burst-\(index)".utf8), [], [], [], body]) }
                    var completed = 0
                    for _ in 0..<1_200 where try peer.receive(timeoutMilliseconds: 120_000)[1] == Array("RESULT".utf8) { completed += 1 }
                    return completed
                }
            }
            try await waitUntil("96 MiB wait in the queue", timeout: .seconds(60)) { try await deployment.stats().queueDepth == 1_200 }
            let peak = try residentBytes(deployment.broker.pid)
            #expect(peak > baseline + (90 << 20), "the queued bodies are resident: \(peak >> 20) MiB, baseline \(baseline >> 20) MiB")

            try await deployment.startPool(name: "drain", workers: 8)
            #expect(try await producer.value == 1_200)
            try await waitUntil("the broker is back near its baseline", timeout: .seconds(20)) {
                try residentBytes(deployment.broker.pid) < baseline + (30 << 20)
            }
        }
    }
}

/// The resident set size of process `pid`, in bytes (`VmRSS` of `/proc/PID/status`).
func residentBytes(_ pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else {
        throw TestFailure("no VmRSS for process \(pid)")
    }
    return kilobytes << 10
}
