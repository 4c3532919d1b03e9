import Foundation
import MahavishnuCore
import ZeroMQ

/// `lifecycle`: what scheduling costs and how well it keeps time. `route least_loaded` with
/// plain tasks and with tasks that carry a priority and a deadline, through the same fleet; then
/// `delayedTasks` delayed tasks held by a broker with no pools (its memory per delayed task) and
/// released to fake pools, each timed from its eta to its result; then one streaming task whose
/// fake pool sends `streamPartials` partial outputs through the broker before its result.
extension BenchSession {
    func runLifecycle() throws {
        try withRouteFleet(memoryDatabase: nil) { broker, _, fleet in
            // Alternating, twice each, so the machine's drift falls on both kinds of task.
            let slots = plan.backends * plan.workersPerPool
            var rounds: [(plain: CaseResult, scheduled: CaseResult)] = []
            for round in 1...2 {
                let plain = try measure("lifecycle/plain/\(round)", scenario: .lifecycle, label: "route least_loaded, plain tasks, round \(round)", setup: fleet,
                                        pools: plan.backends, slots: slots, exchange: .task(selector: .leastLoaded), endpoint: broker.frontend)
                let scheduled = try measure("lifecycle/scheduled/\(round)", scenario: .lifecycle, label: "route least_loaded, priority + deadline, round \(round)",
                                            setup: "\(fleet); priorities 0-9 in turn, each with expires_in 3600", pools: plan.backends, slots: slots,
                                            exchange: .scheduledTask, endpoint: broker.frontend)
                rounds.append((plain, scheduled))
            }
            let plain = rounds.compactMap { $0.plain.throughput?.median }, scheduled = rounds.compactMap { $0.scheduled.throughput?.median }
            if plain.count == 2, scheduled.count == 2 {
                note(String(format: "lifecycle: tasks with a priority and a deadline route at %.2f× the throughput of plain tasks (means of two alternating rounds of medians, same fleet).",
                            scheduled.reduce(0, +) / plain.reduce(0, +)))
            }
        }
        try measureDelayedTasks()
        try measureStream()
    }

    /// One task with `"stream": true` on a fake pool that sends `streamPartials` partials, then
    /// its result, within the broker's credit: partials delivered per second from the first to
    /// the result, every one in order.
    private func measureStream() throws {
        let count = plan.streamPartials
        try withProcesses { processes in
            let broker = try processes.startBroker()
            try processes.startFakePools(count: 1, workers: 1, broker: broker, partials: count)
            let socket = try Socket(context, type: .dealer, linger: 0)
            defer { socket.close() }
            try socket.set(.receiveHighWaterMark, 0)
            try socket.set(.receiveTimeout, Int32(60_000))
            try socket.connect(broker.frontend)
            progress.say("lifecycle: one streaming task, \(count) partial outputs through the broker")
            _ = try socket.send(multipart: [Wire.version, Wire.Command.task, Array("stream".utf8), [], [], [], Exchange.taskBody,
                                            ScheduleRequest(stream: true).frame])
            let frames = Frames(capacity: 8)
            var received = 0, firstAt: UInt64?, expected = 0
            while true {
                guard try socket.receive(into: frames) else { throw BenchError("the streaming task sent nothing for 60 s") }
                if frames.frame(1, equals: Wire.Command.result) { break }
                guard frames.count == 6, frames.frame(1, equals: Wire.Command.partial), let sequence = Int(frames.string(4)), sequence >= expected else {
                    throw BenchError("a partial output came out of order or malformed (\(frames.count) frames)")
                }
                firstAt = firstAt ?? MonotonicClock.nanoseconds()
                expected = sequence + 1
                received += 1
            }
            let seconds = Double(MonotonicClock.nanoseconds() - (firstAt ?? MonotonicClock.nanoseconds())) / 1e9
            let dropped = try brokerStats(at: broker.frontend).partialsDropped
            var stream = CaseResult(key: "lifecycle/stream", scenario: .lifecycle, label: "one streaming task: partials delivered",
                                    setup: "1 fake pool sending \(count) partials (18-byte bodies) then its result", pools: 1, slots: 1)
            stream.throughput = ThroughputSummary(tasks: received, window: 1, runs: [seconds > 0 ? Double(received) / seconds : 0])
            record(stream)
            guard received == count, dropped == 0 else {
                throw BenchError("of \(count) partial outputs \(received) reached the producer and the broker dropped \(dropped): credit flow should lose none")
            }
            note("lifecycle: all \(count) partial outputs of one task reached the producer in order, none dropped, under the broker's credit (a window of 32, returned 16 at a time); tasks/s is partials per second there.")
        }
    }

    /// Sends `delayedTasks` tasks with etas spread over `delaySpreadSeconds`, reads the broker's
    /// memory once it holds them all, then lets fake pools run them and times each result against its eta.
    private func measureDelayedTasks() throws {
        let count = plan.delayedTasks
        let settings = logDirectory.deletingLastPathComponent().appendingPathComponent("lifecycle-delayed.yaml")
        try "broker_queue_bound: \(count)\n".write(to: settings, atomically: true, encoding: .utf8)
        try withProcesses { processes in
            let broker = try processes.startBroker(arguments: ["--settings", settings.path])
            let idle = try recordMemory("lifecycle/broker-idle", label: "broker, no tasks", pid: broker.process.pid)
            let socket = try Socket(context, type: .dealer, linger: 0)
            defer { socket.close() }
            try socket.set(.sendHighWaterMark, 0)
            try socket.set(.receiveHighWaterMark, 0)
            try socket.set(.receiveTimeout, Int32(60_000))
            try socket.connect(broker.frontend)
            let first = Self.epochNanoseconds() + UInt64(plan.delayLeadSeconds * 1e9)
            let etas = (0..<count).map { first + UInt64(plan.delaySpreadSeconds * 1e9) * UInt64($0) / UInt64(count) }
            progress.say("lifecycle: \(count) delayed tasks into a broker with no pools, due over \(plan.delaySpreadSeconds) s")
            for (index, eta) in etas.enumerated() {
                let schedule = ScheduleRequest(eta: Date(timeIntervalSince1970: Double(eta) / 1e9)).frame
                _ = try socket.send(multipart: [Wire.version, Wire.Command.task, Array("d\(index)".utf8), Array("least_loaded".utf8), [], [], Exchange.taskBody, schedule])
            }
            let deadline = ContinuousClock.now + .seconds(120)
            while try brokerStats(at: broker.frontend).delayed < count {
                guard ContinuousClock.now < deadline else { throw BenchError("the broker did not hold \(count) delayed tasks within 120 s") }
                Thread.sleep(forTimeInterval: 0.05)
            }
            guard Self.epochNanoseconds() < first else {
                throw BenchError("sending \(count) delayed tasks took longer than their \(plan.delayLeadSeconds) s lead; the broker's memory was not read with all of them held")
            }
            let held = try recordMemory("lifecycle/broker-delayed", label: "broker holding \(count) delayed tasks", pid: broker.process.pid)
            note(String(format: "lifecycle: the broker holds a delayed task in %.0f bytes of resident memory (the %.1f MB it grew by with %d held; a task's body is %d bytes).",
                        Double(held.resident.bytes - idle.resident.bytes) / Double(count), Double(held.resident.bytes - idle.resident.bytes) / 1e6, count, Exchange.taskBody.count))
            try processes.startFakePools(count: 2, workers: 100, broker: broker)
            var recorder = LatencyRecorder()
            var early = 0
            let frames = Frames(capacity: 16)
            for _ in 0..<count {
                guard try socket.receive(into: frames) else { throw BenchError("a delayed task's result did not come within 60 s") }
                let arrived = Self.epochNanoseconds()
                guard frames.count >= 3, frames.frame(1, equals: Wire.Command.result), let index = Int(frames.string(2).dropFirst()), etas.indices.contains(index) else {
                    throw BenchError("the broker answered a delayed task with \(frames.count > 1 ? frames.string(1) : "nothing"), not its RESULT")
                }
                if arrived < etas[index] { early += 1 } else { recorder.record(nanoseconds: arrived - etas[index]) }
            }
            guard early == 0 else { throw BenchError("\(early) of \(count) delayed tasks were answered before their eta") }
            var timing = CaseResult(key: "lifecycle/delayed-timing", scenario: .lifecycle, label: "delayed tasks: result time − eta",
                                    setup: "\(count) tasks due over \(plan.delaySpreadSeconds) s, run by 2 fake pools × 100 slots", pools: 2, slots: 200)
            timing.latency = recorder.summary()
            record(timing)
            note("lifecycle: a delayed task's timing error is from its eta to its RESULT at the producer: the broker's release, the dispatch, the fake pool's echo and the reply, on one machine's clock.")
        }
    }

    private static func epochNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
