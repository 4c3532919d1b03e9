import Foundation
import MahavishnuCore
import ZeroMQ

/// `journal`: `route least_loaded` through a broker with `journal_mode` off, crash (every task
/// journaled before it is dispatched and before its result is sent) and fsync (the same, synced
/// once per batch), in the same run, so the ratios are what the journal costs; then how long a
/// broker takes to start on a journal of `recoveryTasks` waiting tasks.
extension BenchSession {
    func runJournal() throws {
        for mode in ["off", "crash", "fsync"] {
            let journal = mode == "off" ? BenchJournal.off : freshJournal("route-\(mode)", mode: mode)
            try withRouteFleet(memoryDatabase: nil, journal: journal) { broker, _, fleet in
                try measure(
                    "journal/\(mode)", scenario: .journal, label: "route least_loaded, journal \(mode)", setup: fleet,
                    pools: plan.backends, slots: plan.backends * plan.workersPerPool,
                    exchange: .task(selector: .leastLoaded), endpoint: broker.frontend, cpuOf: broker.process.pid
                )
            }
        }
        try measureRecovery()
    }

    /// Fills a broker with no pools with `recoveryTasks` waiting tasks, SIGKILLs it, and times a
    /// new broker on the same endpoints and journal from its start to its ready line (which it
    /// prints once the journal is replayed), checking that it holds every task.
    private func measureRecovery() throws {
        let count = plan.recoveryTasks
        let journal = freshJournal("recovery", mode: "crash")
        let settings = logDirectory.deletingLastPathComponent().appendingPathComponent("journal-recovery.yaml")
        try "broker_queue_bound: \(count)\n".write(to: settings, atomically: true, encoding: .utf8)
        try withProcesses { processes in
            let first = try processes.startBroker(journal: journal, arguments: ["--settings", settings.path])
            try withDriver(.task(selector: .leastLoaded), at: first.frontend, target: "broker") { driver in
                progress.say("journal recovery: \(count) tasks into a broker with no pools")
                try driver.sendWithoutReplies(count)
                try waitForQueueDepth(count, at: first.frontend)
            }
            first.process.send(SIGKILL)
            first.process.stop()
            progress.say("journal recovery: broker SIGKILLed; starting another on its journal")
            let started = MonotonicClock.nanoseconds()
            let second = try processes.startBroker(journal: journal, successorOf: first, arguments: ["--settings", settings.path])
            let seconds = Double(MonotonicClock.nanoseconds() - started) / 1e9
            let depth = try brokerStats(at: second.frontend).queueDepth
            guard depth == count else { throw BenchError("the broker started on the journal holds \(depth) of the \(count) tasks") }
            recordRecovery(RecoveryFigure(key: "journal/recovery", label: "broker start on a journal of \(count) waiting tasks", tasks: count, seconds: seconds))
        }
        note("journal recovery: from starting the process to its ready line, which follows the replay: process start, journal read and check, queueing, compaction included.")
    }

    /// Polls `stats` until `count` tasks wait in the broker's queue.
    private func waitForQueueDepth(_ count: Int, at endpoint: String) throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while try brokerStats(at: endpoint).queueDepth < count {
            guard ContinuousClock.now < deadline else { throw BenchError("fewer than \(count) tasks reached the broker's queue within 120 s") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// The broker's `stats`, asked on a DEALER of its own.
    func brokerStats(at endpoint: String) throws -> BrokerStats {
        let socket = try Socket(context, type: .dealer, linger: 0)
        defer { socket.close() }
        try socket.set(.receiveTimeout, Int32(30_000))
        try socket.connect(endpoint)
        _ = try socket.send(multipart: [Wire.version, Wire.Command.control, Array("stats".utf8), Array("stats".utf8), Array("{}".utf8)])
        guard let reply = try socket.receiveMultipart(), reply.count == 4, reply[1] == Wire.Command.reply else {
            throw BenchError("no stats reply from the broker at \(endpoint)")
        }
        return try JSONCoding.decode(BrokerStats.self, from: reply[3])
    }
}
