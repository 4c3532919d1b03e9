import Foundation
import Mahavishnu
import Testing

/// Nothing a pool starts outlives it, however the pool ends: SIGKILLed, the pool takes its worker
/// programs along, their children too; a SIGKILLed broker (or `up`) takes the pools it spawned.
@Suite("no orphans", .serialized)
struct OrphanTests {
    /// Settings with a worker type `hanger` whose program never answers: it writes the pids of its
    /// parent, of itself and of a background child (`sleep 1000`) to `pidFile`, then waits for
    /// that child. Heartbeats are fast, and a task whose pool is lost fails after a second.
    static func hangerSettings(executor: String, pidFile: String) -> String {
        let promptVia = executor == "exec" ? ", prompt_via: stdin" : ""
        return """
        heartbeat_interval_ms: 200
        heartbeat_liveness: 5
        affinity_wait_seconds: 1
        worker_types:
          hanger: {executor: \(executor), command: [sh, -c, 'read -r line; echo $PPID >> \(pidFile); echo $$ >> \(pidFile); sleep 1000 & echo $! >> \(pidFile); wait']\(promptVia)}

        """
    }

    /// Submits `count` tasks to the pool `pool` (not awaited) and waits until each has started
    /// its program; returns the tasks and every pid the programs wrote.
    func startHangingTasks(_ count: Int, on pool: String, in deployment: Deployment, pidFile: String) async throws -> (tasks: [Task<TaskResult, any Error>], pids: Set<Int32>) {
        let client = deployment.client
        let tasks = (0..<count).map { index in
            Task { try await client.submit(TaskRequest(prompt: "hang \(index)"), selector: .affinity, affinity: pool, timeout: .seconds(60)) }
        }
        try await waitUntil("\(count) programs to write their pids") { (try? pids(in: pidFile).count) == 3 * count }
        return (tasks, Set(try pids(in: pidFile)))
    }

    /// Expects every process in `pids` to be gone within `timeout`; kills (by pid) and names any
    /// that are not.
    func expectGone(_ pids: Set<Int32>, within timeout: Duration, _ what: String) async {
        do {
            try await waitUntil(what, timeout: timeout) { pids.allSatisfy { !processExists($0) } }
        } catch {
            let survivors = pids.filter(processExists).sorted()
            Issue.record("\(what): still running after \(timeout): \(survivors)")
            for pid in survivors { kill(pid, SIGKILL) }
        }
    }

    /// The executable behind `pid`, symbolic links resolved.
    func executable(of pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }

    /// `mahavishnu-pool` hard-linked into a directory of its own, where it finds no
    /// `mahavishnu-guard` and so forks its guardians; `body` gets it, and the directory goes after.
    func withPoolWithoutGuardExecutable<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = URL(fileURLWithPath: temporaryPath("pool-without-guard"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pool = directory.appendingPathComponent(poolExecutable.lastPathComponent)
        try FileManager.default.linkItem(at: poolExecutable.resolvingSymlinksInPath(), to: pool)
        return try await body(pool)
    }

    @Test("a SIGKILLed pool takes its hung programs and their children along, whichever guardian it starts them under",
          arguments: ["exec", "process"], [true, false])
    func killedPool(executor: String, besideGuardExecutable: Bool) async throws {
        let pidFile = temporaryPath("pids")
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        try await withPoolWithoutGuardExecutable { lonelyPool in
            try await Deployment.with(pools: [], settings: Self.hangerSettings(executor: executor, pidFile: pidFile)) { deployment in
                let pool = try await deployment.startPool(
                    name: "doomed", workers: 2, extraArguments: ["--worker-type", "hanger"], executable: besideGuardExecutable ? poolExecutable : lonelyPool
                )
                let (tasks, started) = try await startHangingTasks(2, on: "doomed", in: deployment, pidFile: pidFile)
                #expect(!started.contains(pool.pid), "a guardian, not the pool, is each program's parent")
                let guardian = besideGuardExecutable
                    ? poolExecutable.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("mahavishnu-guard").path
                    : lonelyPool.path
                #expect(started.compactMap(executable(of:)).filter { $0 == guardian }.count == 2, "each program's parent is a guardian from \(guardian)")
                pool.send(SIGKILL)
                deployment.forgetPool("doomed")
                await expectGone(started, within: .seconds(5), "the processes the SIGKILLed pool started")
                for task in tasks {
                    let lost = await #expect(throws: BrokerClientError.self, "the task was lost with its pool") { try await task.value }
                    #expect(lost?.code == .poolLost)
                }
            }
        }
    }

    @Test("a SIGKILLed broker takes the pool it spawned along, with the pool's hung programs and their children")
    func killedBroker() async throws {
        let pidFile = temporaryPath("pids")
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let deployment = try await Deployment.start(pools: [], settings: Self.hangerSettings(executor: "exec", pidFile: pidFile))
        do {
            let spawned = try await runCommand(mahavishnuExecutable, ["pool", "spawn", "--name", "spawned", "--worker-type", "hanger", "--min", "2", "--max", "2", "--broker", deployment.frontend])
            #expect(spawned.status == 0, "\(spawned.stderr)")
            try await waitUntil("the spawned pool to register") { try await deployment.pools()["spawned"] != nil }
            let poolPID = try #require(try await deployment.pools()["spawned"]?.pid)
            let (tasks, started) = try await startHangingTasks(2, on: "spawned", in: deployment, pidFile: pidFile)
            deployment.broker.send(SIGKILL)
            // The pool's guardian kills it at once; the guardians of its programs then kill theirs.
            await expectGone(started.union([poolPID]), within: .seconds(5), "the pool the SIGKILLed broker spawned, and its programs")
            for task in tasks {
                task.cancel()
                _ = try? await task.value
            }
        } catch {
            await deployment.shutdown()
            throw error
        }
        await deployment.shutdown()
    }

    @Test("a SIGKILLed `up` takes its pools along")
    func killedUp() async throws {
        let deployment = try await UpDeployment.start(pools: [("a", 1), ("b", 1)])
        defer { deployment.memoryDatabase.remove() }
        let pools = Set(deployment.poolPIDs)
        #expect(pools.count == 2)
        deployment.up.send(SIGKILL)
        await expectGone(pools, within: .seconds(20), "the pools of the SIGKILLed up")
    }
}
