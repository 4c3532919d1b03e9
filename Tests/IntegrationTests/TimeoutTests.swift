import Foundation
import Mahavishnu
import Testing

/// Tasks past their deadline: ended with their whole process group, reported `timeout`, and their
/// worker slot free for the next task.
@Suite("Task timeouts", .serialized)
struct TimeoutTests {
    /// A program that writes its pid and its child's pid (a `sleep 60`) to the file named by the
    /// prompt, then waits; with the prompt `quick` it just prints `done`. `trap` is put before it.
    static func sleeperYAML(trap: String = "", grace: String = "5") -> String {
        #"{executor: exec, command: [sh, -c, '\#(trap) if [ "$1" = quick ]; then echo done; exit 0; fi; echo $$ > "$1"; sleep 60 & echo $! >> "$1"; wait', sleeper, "{prompt}"], kill_grace_seconds: \#(grace)}"#
    }

    func withSleeperPool<T: Sendable>(_ yaml: String, _ body: (Deployment) async throws -> T) async throws -> T {
        let settings = try temporaryFile("settings", suffix: ".yaml", "worker_types:\n  sleeper: \(yaml)\n")
        return try await Deployment.with(pools: []) { deployment in
            try await deployment.startPool(name: "sleeper", workers: 1, extraArguments: ["--settings", settings, "--worker-type", "sleeper"])
            return try await body(deployment)
        }
    }

    /// Runs the sleeper with a 1 s timeout; returns its result, how long it took, and the pids it wrote.
    func runSleeper(_ deployment: Deployment) async throws -> (result: TaskResult, elapsed: Duration, pids: [Int32]) {
        let pidFile = temporaryPath("pids")
        let started = ContinuousClock.now
        let result = try await deployment.client.submit(TaskRequest(prompt: pidFile, timeout: 1), timeout: .seconds(60))
        return (result, ContinuousClock.now - started, try pids(in: pidFile))
    }

    /// Waits (briefly) for the `sleep 60` the task started to vanish: the pool has sent SIGKILL to
    /// its process group before answering, but the kernel ends a grandchild on its own time; one
    /// that was never signalled would outlive this wait by a minute.
    func expectGone(_ pid: Int32) async throws {
        try await waitUntil("the task's sleep 60 (pid \(pid)) to be gone", timeout: .seconds(5)) { !processExists(pid) }
    }

    @Test("sleep 60 with a 1 s timeout ends timeout within seconds, its whole process group is gone, and the slot serves the next task")
    func execTimeout() async throws {
        try await withSleeperPool(Self.sleeperYAML()) { deployment in
            let (result, elapsed, pids) = try await runSleeper(deployment)
            #expect(result.status == .timeout)
            #expect(result.error == "the task ran past its timeout of 1 s; its process group was terminated")
            #expect(elapsed >= .seconds(1) && elapsed < .seconds(8), "took \(elapsed)")
            #expect(pids.count == 2)
            #expect(processReaped(pids[0]), "the program the pool started was reaped before the result was sent, not left a zombie")
            try await expectGone(pids[1])
            let next = try await deployment.client.submit(TaskRequest(prompt: "quick"), timeout: .seconds(30))
            #expect(next.status == .completed)
            #expect(next.output == "done\n")
            #expect(next.workerID == result.workerID, "the pool's only slot was free again")
        }
    }

    @Test("a process group that ignores SIGTERM is killed with SIGKILL after the grace period")
    func killAfterGrace() async throws {
        try await withSleeperPool(Self.sleeperYAML(trap: #"trap "" TERM;"#, grace: "1")) { deployment in
            let (result, elapsed, pids) = try await runSleeper(deployment)
            #expect(result.status == .timeout)
            #expect(result.error?.contains("ignored SIGTERM and was killed") == true, "\(result.error ?? "")")
            #expect(elapsed >= .seconds(2) && elapsed < .seconds(9), "1 s timeout + 1 s grace; took \(elapsed)")
            #expect(processReaped(pids[0]))
            try await expectGone(pids[1])
        }
    }

    @Test("echo tasks sleeping past their timeout end timeout, and worker_timeout_seconds is the default timeout")
    func echoTimeouts() async throws {
        let settings = try temporaryFile("settings", suffix: ".yaml", "worker_timeout_seconds: 0.5\n")
        try await Deployment.with(pools: [("plain", 1)]) { deployment in
            try await deployment.startPool(name: "short", workers: 1, extraArguments: ["--settings", settings])
            let client = deployment.client
            let own = try await client.submit(TaskRequest(prompt: "slow", sleepMilliseconds: 60_000, timeout: 0.5), selector: .affinity, affinity: "plain", timeout: .seconds(30))
            #expect(own.status == .timeout)
            #expect(own.error == "the task ran past its timeout of 0.5 s")
            let fits = try await client.submit(TaskRequest(prompt: "fits", sleepMilliseconds: 10, timeout: 5), selector: .affinity, affinity: "plain", timeout: .seconds(30))
            #expect(fits.status == .completed)
            let byDefault = try await client.submit(TaskRequest(prompt: "slow", sleepMilliseconds: 60_000), selector: .affinity, affinity: "short", timeout: .seconds(30))
            #expect(byDefault.status == .timeout, "worker_timeout_seconds: 0.5 applies to a task that names no timeout")
            let invalid = try await client.submit(TaskRequest(prompt: "x", timeout: -1), selector: .affinity, affinity: "plain", timeout: .seconds(30))
            #expect(invalid.status == .failed)
            #expect(invalid.error?.contains("'timeout' must be a number of seconds greater than 0") == true)
        }
    }
}
