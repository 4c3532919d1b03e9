import Foundation
@testable import MahavishnuBroker
import MahavishnuCore
import Testing

/// Tasks with a schedule, message by message: priority order at the broker, deadlines that
/// expire waiting tasks, delayed tasks that are never sent early, cancel, and refused schedules.
@Suite("Scheduling: priorities, deadlines, delays, cancel", .serialized)
@MainActor
struct ScheduleTests {
    @Test("1,000 tasks of priorities 0-9 behind one busy worker run highest priority first, ties in arrival order")
    func priorityOrder() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("one")
            let producer = try harness.producer()
            try producer.submit("blocker")
            #expect(try pool.nextTask().id == "blocker")
            var generator = SplitMix64(seed: 42)  // the same shuffle every run
            let priorities = (0..<1_000).map { _ in Int.random(in: 0...9, using: &generator) }
            for (index, priority) in priorities.enumerated() {
                // Every fourth task names the default (5) by leaving the frame out.
                try producer.submit("t\(index)", schedule: index % 4 == 0 && priority == 5 ? "" : #"{"priority":\#(priority)}"#)
            }
            #expect(try producer.stats().queueDepth == 1_000)
            try pool.complete("blocker")
            var order: [String] = []
            for _ in 0..<1_000 {
                let task = try pool.nextTask()
                order.append(task.id)
                try pool.complete(task.id)
            }
            let expected = priorities.indices.sorted { (priorities[$0], -$0) > (priorities[$1], -$1) }.map { "t\($0)" }
            #expect(order == expected)
        }
    }

    @Test("a waiting task past its deadline ends expired at the deadline, not when a worker frees up, and is never dispatched")
    func deadlineExpires() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("one")
            let producer = try harness.producer()
            try producer.submit("blocker")
            #expect(try pool.nextTask().id == "blocker")
            let submitted = ContinuousClock.now
            try producer.submit("soon-stale", schedule: #"{"expires_in":0.2}"#)
            try producer.submit("already-stale", schedule: #"{"deadline":\#(Date().timeIntervalSince1970 - 1)}"#)
            try producer.submit("fresh", schedule: #"{"expires_in":600}"#)
            var expired: [String: TaskResult] = [:]
            while expired.count < 2 {
                guard case .result(let id, _, let result) = try producer.reply() else { throw HarnessFailure("expected a result") }
                expired[id] = result
            }
            #expect(ContinuousClock.now - submitted >= .milliseconds(200))
            #expect(expired.values.allSatisfy { $0.status == .expired && $0.error?.contains("deadline passed") == true }, "\(expired)")
            #expect(Set(expired.keys) == ["soon-stale", "already-stale"])
            try pool.complete("blocker")
            #expect(try pool.nextTask().id == "fresh", "the expired tasks were skipped")
            try pool.complete("fresh")
            let stats = try producer.stats()
            #expect(stats.tasksExpired == 2 && stats.tasksDispatched == 2)
        }
    }

    @Test("a delayed task is held by the broker and dispatched at its time, never early, while undelayed ones pass it")
    func delayedTask() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("one", workers: 2)
            let producer = try harness.producer()
            let submitted = ContinuousClock.now
            try producer.submit("later", schedule: #"{"delay":0.3}"#)
            try producer.submit("now")
            #expect(try pool.nextTask().id == "now")
            try pool.complete("now")
            #expect(try producer.stats().delayed == 1)
            let task = try pool.nextTask()
            #expect(task.id == "later")
            #expect(ContinuousClock.now - submitted >= .milliseconds(300), "sent early")
            try pool.complete("later")
            for expected in ["now", "later"] {
                guard case .result(expected, 1, let result) = try producer.reply() else { throw HarnessFailure("no result for \(expected)") }
                #expect(result.status == .completed)
            }
            #expect(try producer.stats().delayed == 0)
        }
    }

    @Test("cancel ends a waiting task and a delayed one with one cancelled result each, and tells a running one's pool; none runs again; finished and unknown tasks are reported as such")
    func cancel() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("one")
            let producer = try harness.producer()
            try producer.submit("running")
            #expect(try pool.nextTask().id == "running")
            try producer.submit("waiting")
            try producer.submit("delayed", schedule: #"{"delay":600}"#)
            try producer.submit("next")

            for taskID in ["waiting", "delayed"] {
                let reply = try producer.control("cancel", #"{"task_id":"\#(taskID)"}"#, as: CancelReply.self)
                #expect(reply.cancelled && reply.state == .cancelled, "\(reply)")
                guard case .result(taskID, 0, let result) = try producer.reply() else { throw HarnessFailure("no cancelled result for \(taskID)") }
                #expect(result.status == .cancelled)
            }
            let running = try producer.control("cancel", #"{"task_id":"running"}"#, as: CancelReply.self)
            #expect(running.cancelled && running.state == .cancelling, "\(running)")
            #expect(try pool.next("CANCEL") == ["MHV1", "CANCEL", "running"])
            #expect(try producer.control("cancel", #"{"task_id":"nobody"}"#, as: CancelReply.self).state == .unknown)
            let again = try producer.control("cancel", #"{"task_id":"waiting"}"#, as: CancelReply.self)
            #expect(!again.cancelled && again.state == .finished && again.message.contains("cancelled"), "\(again)")

            try pool.complete("running", status: .cancelled)
            guard case .result("running", 1, let ended) = try producer.reply() else { throw HarnessFailure("no result for running") }
            #expect(ended.status == .cancelled, "the pool's cancelled result is the task's")
            #expect(try pool.nextTask().id == "next", "the cancelled task was skipped")
            try pool.complete("next")
            guard case .result("next", 1, _) = try producer.reply() else { throw HarnessFailure("no result for next") }
            try producer.submit("waiting")
            guard case .result("waiting", _, let cached) = try producer.reply() else { throw HarnessFailure("no answer to the resent task") }
            #expect(cached.status == .cancelled, "a cancelled task sent again gets its result, and does not run")
            let stats = try producer.stats()
            #expect(stats.tasksCancelled == 3 && stats.delayed == 0 && stats.queueDepth == 0)
        }
    }

    @Test("a running task cancelled on a pool that dies before it confirms ends cancelled and runs nowhere else")
    func cancelledRunningTaskOfALostPool() throws {
        try RouterHarness.with(RouterHarness.fastHeartbeats) { harness in
            let doomed = try harness.pool("doomed")
            let producer = try harness.producer()
            try producer.submit("t1")
            #expect(try doomed.nextTask().id == "t1")
            #expect(try producer.control("cancel", #"{"task_id":"t1"}"#, as: CancelReply.self).state == .cancelling)
            let survivor = try harness.pool("survivor")
            // `doomed` is never used again: silent, it is lost after a few heartbeat intervals.
            guard case .result("t1", 1, let result) = try producer.reply() else { throw HarnessFailure("no result for t1") }
            #expect(result.status == .cancelled && result.error?.contains("was lost") == true, "\(result)")
            #expect(throws: HarnessFailure.self, "not run again") { try survivor.next("TASK", within: 300) }
        }
    }

    @Test("a streaming task's partials reach its producer in order, stamped with their attempt; a retry starts over with the next; a task that did not ask gets none")
    func partials() throws {
        try RouterHarness.with(RouterHarness.fastHeartbeats) { harness in
            let doomed = try harness.pool("doomed")
            let producer = try harness.producer()
            try producer.submit("s", schedule: #"{"stream":true}"#)
            #expect(try doomed.nextTask().id == "s")
            for index in 0..<3 { try doomed.peer.send(["MHV1", "PARTIAL", "s", "\(index)", "part \(index)"]) }
            for index in 0..<3 { #expect(try producer.next() == ["MHV1", "PARTIAL", "s", "1", "\(index)", "part \(index)"]) }
            let survivor = try harness.pool("survivor")
            // `doomed` is never used again: silent, it is lost, and the task runs again on `survivor`.
            #expect(try survivor.nextTask().id == "s")
            try survivor.peer.send(["MHV1", "PARTIAL", "s", "0", "again"])
            #expect(try producer.next() == ["MHV1", "PARTIAL", "s", "2", "0", "again"])
            try survivor.complete("s")
            guard case .result("s", 2, _) = try producer.reply() else { throw HarnessFailure("no result for s") }

            try producer.submit("quiet")
            #expect(try survivor.nextTask().id == "quiet")
            try survivor.peer.send(["MHV1", "PARTIAL", "quiet", "0", "unheard"])
            try survivor.complete("quiet")
            guard case .result("quiet", 1, _) = try producer.reply() else { throw HarnessFailure("the task that did not stream got a partial") }
            let stats = try producer.stats()
            #expect(stats.partialsForwarded == 4 && stats.partialsDropped == 1)
        }
    }

    @Test("a streaming task comes to its pool with a window of 32; a producer that reads earns the pool CREDIT 16 at a time")
    func creditForReadPartials() throws {
        try RouterHarness.with { harness in
            let pool = try harness.pool("a")
            let producer = try harness.producer()
            try producer.submit("reader", schedule: #"{"stream":true}"#)
            let task = try pool.next("TASK")
            #expect(task.count == 5 && task[2] == "reader" && task[4] == "32", "\(task)")
            for index in 0..<32 { try pool.peer.send(["MHV1", "PARTIAL", "reader", "\(index)", "r\(index)"]) }
            for index in 0..<32 { #expect(try producer.next() == ["MHV1", "PARTIAL", "reader", "1", "\(index)", "r\(index)"]) }
            for _ in 0..<2 { #expect(try pool.next("CREDIT") == ["MHV1", "CREDIT", "reader", "16"]) }
            try pool.complete("reader")
            guard case .result("reader", 1, _) = try producer.reply() else { throw HarnessFailure("no result for reader") }

            try producer.submit("plain")
            #expect(try pool.next("TASK").count == 4, "a task that does not stream comes without a window")
        }
    }

    @Test("a producer that stops reading has its task's partials held at the broker, within the window, and its result behind them; once it reads, all arrive in order and none was dropped")
    func heldPartials() throws {
        try RouterHarness.with({ $0.producerHighWaterMark = 1 }) { harness in
            let pool = try harness.pool("a")
            let watcher = try harness.producer()
            let stalled = try harness.producer(receiveHighWaterMark: 1, receiveBuffer: 65_536)
            try stalled.submit("s", schedule: #"{"stream":true}"#)
            #expect(try pool.nextTask().id == "s")
            // 16 MB: more than the kernel's buffers between broker and producer hold.
            let part = String(repeating: "p", count: 512 << 10)
            for index in 0..<32 { try pool.peer.send(["MHV1", "PARTIAL", "s", "\(index)", "\(index) \(part)"]) }
            let holding = try watcher.stats("the broker to take all 32 partials") { $0.partialsForwarded + $0.partialsHeld == 32 }
            #expect(holding.partialsHeld > 0 && holding.partialsDropped == 0, "\(holding)")
            #expect(holding.partialsHeldBytes <= 32 * (part.utf8.count + 3), "\(holding)")
            try pool.complete("s")
            for index in 0..<32 {
                let partial = try stalled.next()
                #expect(partial.count == 6 && partial[1] == "PARTIAL" && partial[4] == "\(index)" && partial[5].hasPrefix("\(index) "), "partial \(index): \(partial.prefix(5))")
            }
            guard case .result("s", 1, let result) = try stalled.reply() else { throw HarnessFailure("no result after the partials") }
            #expect(result.status == .completed)
            let drained = try watcher.stats("the hold to empty") { $0.partialsHeld == 0 }
            #expect(drained.partialsForwarded == 32 && drained.partialsDropped == 0 && drained.partialsHeldBytes == 0, "\(drained)")
        }
    }

    @Test("a streaming task's result that finds its producer's pipe full waits for room, where a plain task's is undeliverable (a resend gets it from the cache)")
    func streamedResultWaitsForRoom() throws {
        try RouterHarness.with({ $0.producerHighWaterMark = 1 }) { harness in
            let pool = try harness.pool("a")
            let watcher = try harness.producer()
            let stalled = try harness.producer(receiveHighWaterMark: 1, receiveBuffer: 65_536)
            // 16 MB of plain results fill the stalled producer's pipe and kernel buffers; the rest are undeliverable.
            let output = String(repeating: "r", count: 256 << 10)
            for index in 0..<64 {
                try stalled.submit("p\(index)")
                try pool.complete(try pool.nextTask().id, output: output)
            }
            let full = try watcher.stats("plain results to be undeliverable") { $0.resultsDelivered + $0.resultsUndeliverable == 64 }
            #expect(full.resultsUndeliverable > 0, "\(full)")

            try stalled.submit("s", schedule: #"{"stream":true}"#)
            #expect(try pool.nextTask().id == "s")
            try pool.complete("s", output: "streamed")
            let holding = try watcher.stats("the streamed result to be held") { $0.resultsHeld == 1 }
            #expect(holding.resultsUndeliverable == full.resultsUndeliverable && holding.partialsHeld == 0, "\(holding)")

            var delivered: [String] = []
            while delivered.last != "s" {
                guard case .result(let id, _, _) = try stalled.reply() else { throw HarnessFailure("not a result") }
                delivered.append(id)
            }
            #expect(delivered.count == full.resultsDelivered + 1, "every result that went, then the held one: \(delivered)")
            let drained = try watcher.stats("the hold to empty") { $0.resultsHeld == 0 }
            #expect(drained.resultsUndeliverable == full.resultsUndeliverable && drained.partialsHeldBytes == 0, "\(drained)")
        }
    }

    @Test("a schedule the broker cannot use is refused bad_request, naming the key")
    func refusedSchedules() throws {
        let refusals = [
            (#"{"priority":12}"#, "'priority' must be a whole number from 0 to 9"),
            (#"{"priority":2.5}"#, "'priority'"),
            (#"{"when":3}"#, "unknown schedule key 'when'"),
            (#"{"delay":-1}"#, "'delay' must be a number of seconds 0 or more"),
            (#"{"expires_in":0}"#, "'expires_in' must be a number of seconds greater than 0"),
            (#"{"delay":1,"eta":1}"#, "'eta' or 'delay', not both"),
            (#"{"priority":true}"#, "'priority' must be a number"),
            (#"{"stream":1}"#, "'stream' must be true or false"),
            ("[1]", "must be a JSON object"),
        ]
        try RouterHarness.with { harness in
            let producer = try harness.producer()
            for (index, (schedule, expected)) in refusals.enumerated() {
                try producer.submit("t\(index)", schedule: schedule)
                guard case .error("t\(index)", "bad_request", let message) = try producer.reply() else { throw HarnessFailure("\(schedule) was not refused") }
                #expect(message.contains(expected), "\(schedule): \(message)")
            }
            #expect(try producer.stats().tasksAccepted == 0)
        }
    }

    @Test("across a broker restart on its journal, a delayed task keeps its time and a cancelled one stays cancelled")
    func journalKeepsSchedules() throws {
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("schedule-\(UUID().uuidString).journal").path
        defer { try? FileManager.default.removeItem(atPath: journal) }
        let onJournal: (inout BrokerConfiguration) -> Void = { $0.journal = JournalConfiguration(mode: .crash, path: journal, directory: "/tmp") }
        let due = Date().timeIntervalSince1970 + 0.8
        try RouterHarness.with(onJournal) { harness in
            let producer = try harness.producer(routingID: "producer-1")
            try producer.submit("delayed", schedule: #"{"eta":\#(due),"priority":8}"#)
            // Due before `delayed`: on a one-worker pool it would run first, were it not cancelled.
            try producer.submit("cancelled", schedule: #"{"delay":0.4}"#)
            #expect(try producer.control("cancel", #"{"task_id":"cancelled"}"#, as: CancelReply.self).cancelled)
            #expect(try producer.stats().delayed == 1, "a cancelled delayed task leaves at once, not at its time")
        }
        try RouterHarness.with(onJournal) { harness in
            let producer = try harness.producer(routingID: "producer-1")
            #expect(try producer.stats().delayed == 1, "the next broker holds the delayed task, not the cancelled one")
            let pool = try harness.pool("one")
            let task = try pool.nextTask()
            #expect(task.id == "delayed")
            #expect(Date().timeIntervalSince1970 >= due, "sent before its eta")
            try pool.complete("delayed")
            guard case .result("delayed", 1, _) = try producer.reply() else { throw HarnessFailure("no result for delayed") }
            #expect(throws: HarnessFailure.self, "the cancelled task never runs") { try pool.next("TASK", within: 200) }
        }
    }
}
