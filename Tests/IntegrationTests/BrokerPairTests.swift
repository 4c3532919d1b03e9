import Foundation
import Mahavishnu
import Synchronization
import Testing

/// A primary and a backup broker as real processes: the documented states, and a failover under
/// load that loses and duplicates nothing (docs/failover.md).
@Suite("Broker pair", .serialized)
struct BrokerPairTests {
    static let settings = fastFailureSettings + "broker_peer_timeout_ms: 1000\n"

    @Test("started together, the primary is active and the backup passive; each says so in info")
    func startedTogether() async throws {
        let settings = try writeSettings(Self.settings)
        let ports = try pairPorts()
        async let primaryStart = PairedBroker.start(.primary, pairPort: ports.primary, peerPort: ports.backup,
                                                    stateDirectory: scratchStateDirectory(), arguments: ["--settings", settings])
        async let backupStart = PairedBroker.start(.backup, pairPort: ports.backup, peerPort: ports.primary,
                                                   stateDirectory: scratchStateDirectory(), arguments: ["--settings", settings])
        let (primary, backup) = try await (primaryStart, backupStart)
        defer { for broker in [primary, backup] { broker.process.send(SIGKILL) } }
        try await primary.reaches(.active)
        try await backup.reaches(.passive)
        let primaryStatus = try #require(try await primary.pairStatus())
        #expect(primaryStatus.state == .active && primaryStatus.epoch == 1)
        try await waitUntil("the backup holds a copy of the journal") { try await backup.pairStatus()?.inSync == true }
        let backupStatus = try #require(try await backup.pairStatus())
        #expect(backupStatus.state == .passive && backupStatus.peerState == .active && backupStatus.peerFrontend == primary.frontend)

        // The passive refuses work, naming the active's frontend; it stays passive while the active lives.
        let client = try BrokerClient(endpoint: backup.frontend, retryInterval: nil)
        defer { client.close() }
        await #expect(throws: BrokerClientError.refused(code: "not_active", message: "this broker is the passive of a pair; the active peer serves; the active broker's frontend is \(primary.frontend)")) {
            _ = try await client.submit(TaskRequest(prompt: "x"), timeout: .seconds(5))
        }
        #expect(try await backup.pairStatus()?.state == .passive)

        // `pool list`, given both frontends (the passive first), moves to the active broker, which says so;
        // `health` is answered by the passive too (it is what probes ask), naming the active's frontend.
        let list = try await runCommand(mahavishnuExecutable, ["pool", "list", "--broker", "\(backup.frontend),\(primary.frontend)"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("broker: active (primary, epoch 1); peer passive, in sync, frontend \(backup.frontend)"), "\(list.stdout)")
        let probe = try await runCommand(mahavishnuExecutable, ["pool", "health", "--broker", "\(backup.frontend),\(primary.frontend)"])
        #expect(probe.status == 0, "\(probe.stderr)")
        #expect(probe.stdout.contains("broker: passive (backup, epoch 0); peer active, frontend \(primary.frontend)"), "\(probe.stdout)")
        #expect(try await backup.pairStatus()?.state == .passive)
        for broker in [backup, primary] { _ = await broker.process.stop() }
    }

    @Test("WELCOME gives a pool the pair's epoch; a READY saying a higher one fences the active broker, which exits")
    func epochFencesThroughPools() async throws {
        let settings = try writeSettings(Self.settings)
        let ports = try pairPorts()
        let primary = try await PairedBroker.start(.primary, pairPort: ports.primary, peerPort: ports.backup,
                                                   stateDirectory: scratchStateDirectory(), arguments: ["--settings", settings])
        defer { primary.process.send(SIGKILL) }
        @Sendable func ready(epoch: Int?) -> [String] {
            let epochField = epoch.map { #","epoch":\#($0)"# } ?? ""
            return ["MHV1", "READY", #"{"pool_id":"pool_raw","name":"raw","type":"t","worker_type":"echo","min_workers":1,"max_workers":1,"workers":1,"pid":1,"host":"h"\#(epochField)}"#]
        }
        // Alone, the primary takes the first request after one peer timeout, at epoch 1; until then it answers not_active.
        let welcome = try await RawPeer.session(primary.backend, routingID: "pool_raw") { peer in
            while true {
                try peer.send(ready(epoch: nil))
                let reply = try peer.receiveSkippingHeartbeats()
                guard reply.count > 3, reply[1] == "ERROR", reply[3] == "not_active" else { return reply }
            }
        }
        #expect(welcome.count == 3 && welcome[1] == "WELCOME" && welcome[2].contains(#""epoch":1"#), "\(welcome)")
        // No reply comes (the broker exits); the wait keeps the socket open until the READY is out.
        try await RawPeer.session(primary.backend, routingID: "pool_stale_view") { peer in
            try peer.send(ready(epoch: 5))
            _ = try? peer.receive(timeoutMilliseconds: 2_000)
        }
        let status = try await primary.process.exitStatus(within: .seconds(10))
        #expect(status != 0)
        #expect(primary.process.stderrTail.contains("fenced: pool 'pool_raw' was welcomed at epoch 5, above this broker's 1"), "\(primary.process.stderrTail)")
    }

    @Test("broker promote: refused on the active; on the passive, the active steps down and the passive takes over at the next epoch")
    func promote() async throws {
        let settings = try writeSettings(Self.settings)
        let (primary, backup) = try await PairedBroker.startSyncedPair(settings: settings)
        defer { for broker in [primary, backup] { broker.process.send(SIGKILL) } }
        let client = try BrokerClient(endpoints: [primary.frontend, backup.frontend], retryInterval: .milliseconds(500), failoverAfter: .seconds(1))
        defer { client.close() }
        #expect(try await client.control(.stats, as: BrokerStats.self).refusedNotActive == 0, "the primary answers")

        let refused = try await runCommand(mahavishnuExecutable, ["broker", "promote", "--broker", primary.frontend])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("this broker is active, not passive; promote the passive broker of the pair"), "\(refused.stderr)")

        let promoted = try await runCommand(mahavishnuExecutable, ["broker", "promote", "--broker", backup.frontend])
        #expect(promoted.status == 0, "\(promoted.stderr)")
        #expect(promoted.stdout.contains("asked the active peer (epoch 1) to step down"), "\(promoted.stdout)")
        #expect(try await primary.process.exitStatus(within: .seconds(10)) != 0)
        #expect(primary.process.stderrTail.contains("stepped down: the peer was promoted"), "\(primary.process.stderrTail)")
        // The next request reaches the backup (the client moves on from the silent primary), which takes over.
        _ = try await client.control(.stats, as: BrokerStats.self, timeout: .seconds(20))
        #expect(try await backup.reaches(.active).contains("epoch=2"))
        _ = await backup.process.stop()
    }

    @Test("a backup started alone stays backup and refuses work, however long it waits")
    func backupAlone() async throws {
        let settings = try writeSettings(Self.settings)
        let ports = try pairPorts()
        let backup = try await PairedBroker.start(.backup, pairPort: ports.backup, peerPort: ports.primary,
                                                  stateDirectory: scratchStateDirectory(), arguments: ["--settings", settings])
        defer { backup.process.send(SIGKILL) }
        let client = try BrokerClient(endpoint: backup.frontend, retryInterval: nil)
        defer { client.close() }
        // Three peer timeouts: a primary would have taken over by now; a backup never does alone.
        for _ in 0..<3 {
            try await Task.sleep(for: .seconds(1))
            do {
                _ = try await client.submit(TaskRequest(prompt: "x"), timeout: .seconds(5))
                Issue.record("a lone backup accepted a task")
            } catch let error as BrokerClientError {
                #expect(error.code == .notActive, "\(error)")
            }
        }
        #expect(try await backup.pairStatus()?.state == .backup)
        _ = await backup.process.stop()
    }

    @Test("SIGKILL the active under 5,000 tasks: the backup takes over, every task gets exactly one result")
    func failoverUnderLoad() async throws {
        let settings = try writeSettings(Self.settings)
        let (primary, backup) = try await PairedBroker.startSyncedPair(settings: settings)
        var pools: [ManagedProcess] = []
        defer {
            for process in pools { process.send(SIGKILL) }
            for broker in [primary, backup] { broker.process.send(SIGKILL) }
        }
        for name in ["p1", "p2"] {
            let pool = try ManagedProcess(name: "pool \(name)", executable: poolExecutable, arguments: [
                "--name", name, "--id", "pool_\(name)", "--min", "16", "--broker", "\(primary.backend),\(backup.backend)", "--settings", settings,
            ] + primary.busArguments)
            pools.append(pool)
            _ = try await pool.line(startingWith: "pool ready")
        }
        let client = try BrokerClient(endpoints: [primary.frontend, backup.frontend], retryInterval: .seconds(1), failoverAfter: .seconds(1))
        defer { client.close() }

        let total = 5_000
        let tally = FailoverTally()
        let (primaryProcess, backupProcess) = (primary.process, backup.process)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // 64 producers in parallel, each with its own tasks, sleeping 5 ms on a worker.
            for lane in 0..<64 {
                group.addTask {
                    for index in stride(from: lane, to: total, by: 64) {
                        let id = "pair-\(index)"
                        let result = try await client.submit(TaskRequest(prompt: id, sleepMilliseconds: 5), taskID: id, timeout: .seconds(60))
                        #expect(result.status == .completed && result.output == id, "\(id): \(result)")
                        tally.record(id)
                    }
                }
            }
            group.addTask {
                let started = ContinuousClock.now
                try await waitUntil("1,000 results") { tally.finished >= 1_000 }
                print("pair: 1,000 results in \(ContinuousClock.now - started)")
                primaryProcess.send(SIGKILL)
                tally.killed()
                _ = try await backupProcess.line(startingWith: "broker pair state=active ", within: .seconds(5))
                tally.tookOver()
            }
            try await group.waitForAll()
        }
        let takeover = try await backup.reaches(.active)
        #expect(takeover.contains("epoch=2"), "\(takeover)")
        let counts = tally.results.withLock { $0 }
        #expect(counts.count == total, "every task has a result")
        #expect(counts.values.allSatisfy { $0 == 1 }, "no task has two")
        let stats = try await client.control(.stats, as: BrokerStats.self)
        #expect(stats.pools == 2, "both pools moved to the backup")
        let (tookOver, outage) = try #require(tally.failover)
        print("failover: the backup took over \(tookOver) after the SIGKILL; the longest wait between two results was \(outage)")
        #expect(tookOver < .seconds(5), "the backup took over within 5 s")
        for process in pools { await process.stop() }
        _ = await backup.process.stop()
    }
}

/// Results per task id, and the times of a failover: the kill, the takeover, the longest wait between results.
private final class FailoverTally: Sendable {
    let results = Mutex<[String: Int]>([:])
    private let times = Mutex<(killed: ContinuousClock.Instant?, tookOver: ContinuousClock.Instant?, last: ContinuousClock.Instant?, longestGap: Duration)>((nil, nil, nil, .zero))

    var finished: Int { results.withLock { $0.values.reduce(0, +) } }

    func record(_ id: String) {
        results.withLock { $0[id, default: 0] += 1 }
        times.withLock { times in
            let now = ContinuousClock.now
            if let last = times.last { times.longestGap = max(times.longestGap, now - last) }
            times.last = now
        }
    }

    func killed() { times.withLock { $0.killed = .now } }
    func tookOver() { times.withLock { $0.tookOver = .now } }

    /// From the kill to the takeover, and the longest wait between two results.
    var failover: (tookOver: Duration, outage: Duration)? {
        times.withLock { times in times.killed.flatMap { killed in times.tookOver.map { ($0 - killed, times.longestGap) } } }
    }
}
