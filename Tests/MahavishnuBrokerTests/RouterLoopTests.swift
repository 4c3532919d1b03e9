@testable import MahavishnuBroker
import MahavishnuCore
import Testing

/// The router loop's bookkeeping, message by message, against scripted producers and pools in
/// this process: leases, requeue on loss, the retry budget, stale and ghost results, the
/// affinity wait, overload and drain.
///
/// On the main actor: the tests block their thread on sockets, and the pool of threads async
/// tests share is small (two on a 2-core machine); one at a time, they leave the others running.
@Suite("Router loop, scripted in-process", .serialized)
@MainActor
struct RouterLoopTests {
    @Test("a task goes to a pool and its result back to the producer, with its attempt count")
    func roundTrip() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("a")
            let producer = try harness.producer()
            try producer.submit("t1", prompt: "hi")
            let task = try pool.nextTask()
            #expect(task.id == "t1")
            #expect(task.body == #"{"prompt":"hi"}"#, "the body reaches the pool as the producer sent it")
            try pool.complete("t1", output: "hi back")
            guard case .result(let id, let attempts, let result) = try producer.reply() else { throw HarnessFailure("no result") }
            #expect(id == "t1" && attempts == 1 && result.output == "hi back")
            let stats = try producer.stats()
            #expect(stats.tasksDispatched == 1 && stats.resultsDelivered == 1 && stats.inFlight == 0)
        }
    }

    @Test("a task whose pool goes silent runs again on another pool, as attempt 2")
    func requeueOnLoss() throws {
        try RouterHarness.with(RouterHarness.fastHeartbeats) { harness in
            let doomed = try harness.pool("doomed")
            let producer = try harness.producer()
            try producer.submit("t1")
            #expect(try doomed.nextTask().id == "t1")
            let survivor = try harness.pool("survivor")
            // `doomed` is never used again: silent, it is lost after two heartbeat intervals.
            #expect(try survivor.nextTask().id == "t1")
            try survivor.complete("t1")
            guard case .result(_, let attempts, let result) = try producer.reply() else { throw HarnessFailure("no result") }
            #expect(attempts == 2)
            #expect(result.poolID == "pool_survivor")
        }
    }

    @Test("a task whose pools keep dying fails worker_lost once the retry budget is used")
    func retryBudget() throws {
        try RouterHarness.with({ RouterHarness.fastHeartbeats(&$0); $0.retryBudget = 0 }) { harness in
            let doomed = try harness.pool("doomed")
            let producer = try harness.producer()
            try producer.submit("t1")
            #expect(try doomed.nextTask().id == "t1")
            guard case .result(_, let attempts, let result) = try producer.reply() else { throw HarnessFailure("no result") }
            #expect(attempts == 1)
            #expect(result.status == .failed)
            #expect(result.error?.hasPrefix("worker_lost:") == true, "\(result.error ?? "")")
            #expect(try producer.stats().tasksFailedWorkerLost == 1)
        }
    }

    @Test("LOST from a pool runs the task again; a result for a task the pool does not hold is stale and dropped")
    func lostAndStale() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("a")
            let producer = try harness.producer()
            try producer.submit("t1")
            #expect(try pool.nextTask().id == "t1")
            try pool.peer.send(["MHV1", "LOST", "t1", "the worker died"])
            #expect(try pool.nextTask().id == "t1", "dispatched again")
            try pool.complete("t1")
            try pool.complete("never-sent")
            guard case .result(let id, let attempts, _) = try producer.reply() else { throw HarnessFailure("no result") }
            #expect(id == "t1" && attempts == 2)
            let stats = try producer.stats()
            #expect(stats.resultsStale == 1)
            #expect(stats.resultsDelivered == 1)
        }
    }

    @Test("a repeated READY of the same session keeps the pool's tasks")
    func sameSession() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("a")
            let producer = try harness.producer()
            try producer.submit("t1")
            #expect(try pool.nextTask().id == "t1")
            try pool.register(session: "s1", busy: 1)
            try pool.complete("t1")
            guard case .result(_, let attempts, _) = try producer.reply() else { throw HarnessFailure("no result") }
            #expect(attempts == 1)
            #expect(try producer.stats().tasksDispatched == 1)
        }
    }

    @Test("a pool that registers again with a run still busy: that run's result completes the reclaimed task, which does not run twice")
    func ghostsAfterReregistration() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("a")
            let producer = try harness.producer()
            try producer.submit("t1")
            #expect(try pool.nextTask().id == "t1")
            // Registered again (as after a broker restart) with its one worker still busy: that slot is a ghost's.
            try pool.register(session: "s2", busy: 1)
            try producer.submit("t2")
            try pool.complete("t1", output: "from the old run")
            guard case .result(let id, let attempts, let result) = try producer.reply() else { throw HarnessFailure("no result") }
            #expect(id == "t1" && attempts == 1 && result.output == "from the old run")
            #expect(try pool.nextTask().id == "t2", "the ghost's slot is free again, and t1 is not dispatched twice")
            try pool.complete("t2")
            _ = try producer.reply()
            let stats = try producer.stats()
            #expect(stats.tasksDispatched == 2 && stats.resultsStale == 0)
        }
    }

    @Test("a result for a run the broker no longer leases, with no task waiting for it, is stale and frees a ghost's slot")
    func staleGhost() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("a", busy: 1)
            let producer = try harness.producer()
            try producer.submit("t1")
            try pool.complete("from-before")
            #expect(try pool.nextTask().id == "t1", "the ghost's slot served the waiting task")
            #expect(try producer.stats().resultsStale == 1)
        }
    }

    @Test("a fresh broker holds an affinity task for a pool that has not registered yet, within affinity_wait_seconds")
    func affinityWait() throws {
        try RouterHarness.with({ $0.affinityWait = .seconds(10) }) { harness in
            let producer = try harness.producer()
            try producer.submit("t1", selector: "affinity", affinity: "late")
            try producer.submit("t2", selector: "bogus")
            guard case .error(let reference, let code, _) = try producer.reply() else { throw HarnessFailure("expected an error") }
            #expect(reference == "t2" && code == "invalid_selector", "t1 is held, not refused")
            let late = try harness.pool("late")
            #expect(try late.nextTask().id == "t1")
        }
    }

    @Test("past broker_queue_bound a task is refused overloaded; the queued ones run once a pool comes")
    func overload() throws {
        try RouterHarness.with({ $0.queueBound = 2 }) { harness in
            let producer = try harness.producer()
            for id in ["t1", "t2", "t3"] { try producer.submit(id) }
            guard case .error(let reference, let code, let message) = try producer.reply() else { throw HarnessFailure("expected overloaded") }
            #expect(reference == "t3" && code == "overloaded")
            #expect(message.contains("broker_queue_bound 2"))
            let pool = try harness.pool("a", workers: 2)
            #expect(Set([try pool.nextTask().id, try pool.nextTask().id]) == ["t1", "t2"])
        }
    }

    @Test("a task sent again while it runs is re-addressed to the new sender, not run twice")
    func resendWhileRunning() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("a")
            let first = try harness.producer()
            try first.submit("t1")
            #expect(try pool.nextTask().id == "t1")
            let second = try harness.producer()
            try second.submit("t1")
            _ = try second.stats()
            try pool.complete("t1")
            guard case .result(let id, _, _) = try second.reply() else { throw HarnessFailure("no result") }
            #expect(id == "t1")
            #expect(try first.receive(within: 50) == nil, "the old sender gets nothing")
            #expect(try second.stats().tasksDispatched == 1)
        }
    }

    @Test("drain: queued tasks are refused shutting_down, new ones too, in-flight ones finish, and the loop stops")
    func drain() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("a")
            let producer = try harness.producer()
            try producer.submit("running")
            #expect(try pool.nextTask().id == "running")
            try producer.submit("queued")
            _ = try producer.stats()
            harness.broker.stop()
            guard case .error(let queued, let code, _) = try producer.reply() else { throw HarnessFailure("expected shutting_down") }
            #expect(queued == "queued" && code == "shutting_down")
            try producer.submit("late")
            guard case .error(let late, let lateCode, _) = try producer.reply() else { throw HarnessFailure("expected shutting_down") }
            #expect(late == "late" && lateCode == "shutting_down")
            #expect(!harness.waitUntilStopped(timeout: 0.05), "the loop waits for the running task")
            try pool.complete("running")
            guard case .result(let id, _, _) = try producer.reply() else { throw HarnessFailure("no result") }
            #expect(id == "running")
            #expect(harness.waitUntilStopped())
        }
    }

    @Test("results for a producer that stops reading are dropped past producer_high_water_mark, not held without end; a retry gets them from the cache")
    func producerThatDoesNotRead() throws {
        try RouterHarness.with({ $0.producerHighWaterMark = 10 }) { harness in
            let pool = try harness.pool("a")
            let stalled = try harness.producer(receiveHighWaterMark: 1)
            let output = String(repeating: "r", count: 64 << 10)
            for index in 0..<200 {
                try stalled.submit("t\(index)")
                try pool.complete(try pool.nextTask().id, output: output)
            }
            let watcher = try harness.producer()
            let stats = try watcher.stats()
            // What the kernel's socket buffers hold on top of the high-water marks is at most a few MB: 12.5 MB was sent.
            #expect(stats.resultsUndeliverable > 50, "delivered \(stats.resultsDelivered), undeliverable \(stats.resultsUndeliverable)")
            try watcher.submit("t199")
            guard case .result(let id, _, let result) = try watcher.reply() else { throw HarnessFailure("no result") }
            #expect(id == "t199" && result.output == output, "the retry is answered from the result cache")
        }
    }
}
