import Foundation
import Mahavishnu
import Testing

/// `process` workers: long-lived children speaking JSON lines, one per worker slot.
@Suite("process workers", .serialized)
struct ProcessWorkerTests {
    /// A worker that answers "PID PROMPT"; a task with `pid_file` adds its pid there and hangs.
    static let pidWorker = """
        import json, os, sys, time
        for line in sys.stdin:
            task = json.loads(line)
            if "pid_file" in task:
                with open(task["pid_file"], "a") as f:
                    f.write(str(os.getpid()) + "\\n")
                time.sleep(60)
            print(json.dumps({"task_id": task["task_id"], "output": f"{os.getpid()} {task['prompt']}"}), flush=True)
        """

    /// Runs `body` with a broker and a pool `p` of `workers` workers of the type `definition` (YAML).
    func withPool<T: Sendable>(_ definition: String, workers: Int, _ body: (Deployment) async throws -> T) async throws -> T {
        let settings = try temporaryFile("settings", suffix: ".yaml", "worker_types:\n  under-test: \(definition)\n")
        return try await Deployment.with(pools: []) { deployment in
            try await deployment.startPool(name: "p", workers: workers, extraArguments: ["--settings", settings, "--worker-type", "under-test"])
            return try await body(deployment)
        }
    }

    /// Checks 200 results of `deployment.submit` and returns the pids of the children that ran them.
    func childPIDs(of results: [TaskResult]) -> Set<Int32> {
        #expect(results.count == 200)
        for (index, result) in results.enumerated() {
            #expect(result.status == .completed, "\(result.error ?? "")")
            #expect(result.output.hasSuffix(" task \(index)"))
        }
        return Set(results.compactMap { Int32($0.output.prefix { $0 != " " }) })
    }

    @Test("200 tasks over 4 long-lived children; a child killed mid-task loses its task, which runs again until the retry budget, and the pool recovers")
    func longLivedChildrenAndRecovery() async throws {
        let script = try temporaryFile("pid-worker", suffix: ".py", Self.pidWorker)
        var allChildren: Set<Int32> = []
        try await withPool("{executor: process, command: [python3, \"\(script)\"]}", workers: 4) { deployment in
            let first = try await deployment.submit(count: 200, window: 16, selector: nil)
            let children = childPIDs(of: first)
            #expect(children.count == 4, "one child per worker slot, each serving many tasks")
            #expect(Set(first.map(\.workerID)) == ["pool_p.w0", "pool_p.w1", "pool_p.w2", "pool_p.w3"])

            let pidFile = temporaryPath("hang")
            let client = deployment.client
            let hanging = Task { try await client.submit(body: Array(#"{"prompt": "hang", "pid_file": "\#(pidFile)"}"#.utf8), timeout: .seconds(60)) }
            // The task hangs in every child that takes it: kill each, until the retry budget (2) is spent.
            var victims: [Int32] = []
            for attempt in 1...3 {
                try await waitUntil("a child to take attempt \(attempt)") { (try? pids(in: pidFile).count) == attempt }
                let victim = try pids(in: pidFile)[attempt - 1]
                victims.append(victim)
                kill(victim, SIGKILL)
            }
            #expect(children.contains(victims[0]), "the task runs in one of the long-lived children")
            let killed = try await hanging.value
            #expect(killed.status == .failed)
            #expect(killed.attempts == 3)
            #expect(killed.error?.hasPrefix("worker_lost") == true, "\(killed.error ?? "")")
            #expect(killed.error?.contains("was killed by signal 9 (SIGKILL) while running the task") == true, "\(killed.error ?? "")")
            for victim in victims { #expect(processReaped(victim)) }

            let second = try await deployment.submit(count: 200, window: 16, selector: nil)
            let after = childPIDs(of: second)
            #expect(after.count == 4)
            #expect(after.isSuperset(of: children.subtracting(victims)), "the other children live on")
            #expect(after.isDisjoint(with: victims))
            allChildren = children.union(after)
        }
        for pid in allChildren { #expect(!processExists(pid), "child \(pid) outlived its pool") }
    }

    @Test("the documented example worker runs tasks; one past its timeout ends timeout and its child restarts")
    func exampleWorker() async throws {
        let example = repositoryRoot.appendingPathComponent("examples/process-worker.py").path
        try await withPool("{executor: process, command: [python3, \"\(example)\"], kill_grace_seconds: 1}", workers: 2) { deployment in
            let results = try await deployment.submit(count: 20, window: 4, selector: nil, prompt: { "write code \($0)" })
            #expect(results.map(\.output) == (0..<20).map { "WRITE CODE \($0)" })
            let client = deployment.client
            let slow = try await client.submit(TaskRequest(prompt: "slow", sleepMilliseconds: 60_000, timeout: 1), timeout: .seconds(30))
            #expect(slow.status == .timeout)
            #expect(slow.error?.hasPrefix("the task ran past its timeout of 1 s") == true)
            let after = try await deployment.submit(count: 4, window: 4, selector: nil, prompt: { "again \($0)" })
            #expect(after.map(\.output) == (0..<4).map { "AGAIN \($0)" })
        }
    }

    /// A worker that sends `parts` partial lines (`PID part N`), then its result. With `hang_once`
    /// naming a file that does not exist yet, it creates it, sends 10 partials and hangs.
    static let streamer = """
        import json, os, sys, time
        for line in sys.stdin:
            task = json.loads(line)
            marker = task.get("hang_once")
            hang = marker is not None and not os.path.exists(marker)
            if hang:
                open(marker, "w").close()
            for i in range(10 if hang else task.get("parts", 100)):
                print(json.dumps({"task_id": task["task_id"], "partial": f"{os.getpid()} part {i}"}), flush=True)
            if hang:
                time.sleep(60)
            print(json.dumps({"task_id": task["task_id"], "output": "done"}), flush=True)
        """

    @Test("a streaming process worker's 100 partials arrive in order, once each, then the result; after its pool is killed mid-stream, the retry's partials carry the next attempt")
    func streamingPartials() async throws {
        let script = try temporaryFile("streamer", suffix: ".py", Self.streamer)
        let settings = fastFailureSettings + "worker_types:\n  streamer: {executor: process, command: [python3, \"\(script)\"]}\n"
        try await Deployment.with(pools: [], settings: settings) { deployment in
            let first = try await deployment.startPool(name: "first", workers: 1, extraArguments: ["--worker-type", "streamer"])
            let manager = try PoolManager(broker: deployment.frontend)
            defer { manager.close() }

            var partials: [TaskPartial] = []
            var result: TaskResult?
            for try await event in manager.stream(taskJSON: Array(#"{"prompt":"stream","parts":100}"#.utf8), timeout: .seconds(30)) {
                switch event {
                case .partial(let partial): partials.append(partial)
                case .result(let final): result = final
                }
            }
            #expect(result?.status == .completed && result?.output == "done")
            #expect(partials.map(\.sequence) == Array(0..<100) && partials.allSatisfy { $0.attempt == 1 })
            #expect(partials.map { $0.text.split(separator: " ").dropFirst().joined(separator: " ") } == (0..<100).map { "part \($0)" })

            let marker = temporaryPath("hang-once")
            var attempts: [Int: [Int]] = [:]
            var retried: TaskResult?
            for try await event in manager.stream(taskJSON: Array(#"{"prompt":"retried","parts":20,"hang_once":"\#(marker)"}"#.utf8), timeout: .seconds(60)) {
                switch event {
                case .partial(let partial):
                    attempts[partial.attempt, default: []].append(partial.sequence)
                    if partial.attempt == 1 && partial.sequence == 9 {
                        _ = try await deployment.startPool(name: "second", workers: 1, extraArguments: ["--worker-type", "streamer"])
                        first.send(SIGKILL)
                        deployment.forgetPool("first")
                    }
                case .result(let final): retried = final
                }
            }
            #expect(retried?.status == .completed && retried?.attempts == 2, "\(String(describing: retried))")
            #expect(attempts == [1: Array(0..<10), 2: Array(0..<20)])
            let stats = try await deployment.stats()
            #expect(stats.partialsForwarded == 130 && stats.partialsDropped == 0)
        }
    }

    /// A worker that sends `parts` partials of `size` bytes, notes in `marker` that it wrote the last, then sends its result.
    static let floodingStreamer = """
        import json, sys
        for line in sys.stdin:
            task = json.loads(line)
            pad = "x" * task["size"]
            for i in range(task["parts"]):
                print(json.dumps({"task_id": task["task_id"], "partial": f"{i} {pad}"}), flush=True)
            open(task["marker"], "a").write("wrote\\n")
            print(json.dumps({"task_id": task["task_id"], "output": "done"}), flush=True)
        """

    @Test("a producer that stops reading its stream slows only its own task: its worker waits for credit while the pool runs another task, the broker holds no more than the window, and once it reads, every partial arrives in order, none dropped")
    func streamBackpressure() async throws {
        let script = try temporaryFile("flooder", suffix: ".py", Self.floodingStreamer)
        let settings = fastFailureSettings + "producer_high_water_mark: 10\nworker_types:\n  flooder: {executor: process, command: [python3, \"\(script)\"]}\n"
        let (marker, otherMarker) = (temporaryPath("flood-wrote"), temporaryPath("other-wrote"))
        try await Deployment.with(pools: [], settings: settings) { deployment in
            _ = try await deployment.startPool(name: "flood", workers: 2, extraArguments: ["--worker-type", "flooder"])
            // 32 MB of partials: far more than the pipes, high-water marks and kernel buffers (the producer's fixed at 64 KB) between worker and producer hold.
            let (parts, size) = (2_000, 16 << 10)
            let readNow = DispatchSemaphore(value: 0)
            let body = #"{"prompt":"flood","parts":\#(parts),"size":\#(size),"marker":"\#(marker)"}"#
            let stalled = Task {
                try await RawPeer.session(deployment.frontend, options: [(.receiveHighWaterMark, 1), (.receiveBuffer, 65_536)]) { peer in
                    try peer.send(["MHV1", "TASK", "stalled", "", "", "", body, #"{"stream":true}"#])
                    readNow.wait()
                    var sequences: [Int] = []
                    while true {
                        let message = try peer.receiveStrings()
                        if message[1] == "RESULT" { return (sequences, message) }
                        if message[1] == "PARTIAL", message[3] == "1", message[5].hasPrefix("\(message[4]) ") { sequences.append(Int(message[4]) ?? -1) }
                    }
                }
            }
            try await waitUntil("the broker to hold partials the producer does not read") { try await deployment.stats().partialsHeld > 0 }
            let other = try await deployment.client.submit(body: Array(#"{"prompt":"other","parts":50,"size":10,"marker":"\#(otherMarker)"}"#.utf8),
                                                           taskID: "other", timeout: .seconds(30))
            #expect(other.status == .completed && other.output == "done", "the pool's other worker runs meanwhile: \(other)")
            let holding = try await deployment.stats()
            #expect(holding.partialsHeld <= 32 && holding.partialsHeldBytes <= 32 * (size + 8) && holding.partialsDropped == 0, "\(holding)")
            #expect(!FileManager.default.fileExists(atPath: marker), "the stalled task's worker waits for credit, not done writing")

            readNow.signal()
            let (sequences, result) = try await stalled.value
            #expect(sequences == Array(0..<parts), "\(sequences.count) partials, in order from 0")
            #expect(result.count == 5 && result[2] == "stalled" && result[4].contains(#""status":"completed""#), "\(result.prefix(4))")
            #expect(FileManager.default.fileExists(atPath: marker))
            let stats = try await deployment.stats()
            #expect(stats.partialsForwarded == parts && stats.partialsDropped == 0 && stats.partialsHeld == 0 && stats.resultsHeld == 0,
                    "the other task did not stream: its pool sent none of its partials; \(stats)")
            #expect(stats.resultsUndeliverable == 0, "the result behind partials that filled the producer's pipe waited for room")
        }
    }

    @Test("a cancelled running task ends its child and is reported cancelled; the slot's next task gets a fresh child")
    func cancelRunningTask() async throws {
        let script = try temporaryFile("worker", suffix: ".py", Self.pidWorker)
        try await withPool("{executor: process, command: [python3, \"\(script)\"], kill_grace_seconds: 1}", workers: 1) { deployment in
            let client = deployment.client
            let pidFile = temporaryPath("pids")
            let hanging = Task {
                try await client.submit(body: Array(#"{"prompt":"hang","pid_file":"\#(pidFile)"}"#.utf8), taskID: "hanging", timeout: .seconds(30))
            }
            try await waitUntil("the child to take the task") { (try? pids(in: pidFile).count) == 1 }
            let child = try pids(in: pidFile)[0]
            #expect(try await client.cancel("hanging").state == .cancelling)
            let result = try await hanging.value
            #expect(result.status == .cancelled && result.error?.contains("the worker process was terminated") == true, "\(result)")
            #expect(!processExists(child), "the child was ended before the result")
            let next = try await client.submit(TaskRequest(prompt: "after"), timeout: .seconds(30))
            #expect(next.status == .completed && next.output.hasSuffix(" after") && !next.output.hasPrefix("\(child) "))
        }
    }
}
