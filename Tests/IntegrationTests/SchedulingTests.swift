import Foundation
import Mahavishnu
import Testing

/// Cancel and schedules against real processes: a broker (on a journal), pools, the CLI.
@Suite("Cancel, priorities, deadlines and delays across processes", .serialized)
struct SchedulingTests {
    /// An `exec` worker type whose program ignores SIGTERM and forks a child that does too: it
    /// writes both pids to `pidFile`, then waits. Only SIGKILL, after a 1 s grace, ends them.
    static func settings(journal: String, pidFile: String) -> String {
        fastFailureSettings + """
        journal_mode: crash
        journal_path: \(journal)
        worker_types:
          stubborn: {executor: exec, command: [sh, -c, 'trap "" TERM; echo $$ >> \(pidFile); sleep 1000 & echo $! >> \(pidFile); wait'], prompt_via: stdin, kill_grace_seconds: 1}

        """
    }

    @Test("cancel a running exec task that ignores SIGTERM and forks, a waiting one and a delayed one: one cancelled result each, no process left, and none runs after a broker SIGKILL and restart")
    func cancelAcrossRestart() async throws {
        let journal = temporaryPath("journal"), pidFile = temporaryPath("pids")
        defer { removeJournal(journal) }
        let settings = try writeSettings(Self.settings(journal: journal, pidFile: pidFile))
        let broker = try await RestartableBroker(arguments: ["--settings", settings, "--no-memory"])
        do {
            _ = try await broker.startPool("a", workers: 1, settings: settings, extraArguments: ["--worker-type", "stubborn"])
            let client = try BrokerClient(endpoint: broker.frontend)
            defer { client.close() }
            let submit = { (taskID: String, schedule: ScheduleRequest) in
                Task { try await client.submit(TaskRequest(prompt: taskID), taskID: taskID, selector: .affinity, affinity: "a", schedule: schedule, timeout: .seconds(60)) }
            }
            let running = submit("running", ScheduleRequest())
            try await waitUntil("the running task's program and its child to start") { (try? pids(in: pidFile).count) == 2 }
            let started = Set(try pids(in: pidFile))
            let waiting = submit("waiting", ScheduleRequest())
            let delayed = submit("delayed", ScheduleRequest(delay: .seconds(30)))
            try await waitUntil("both to wait") { try await client.control(.stats, as: BrokerStats.self).queueDepth == 2 }

            let cli = try await runCommand(mahavishnuExecutable, ["task", "cancel", "running", "--broker", broker.frontend])
            #expect(cli.status == 0 && cli.stdout.contains("task running cancelling"), "\(cli.stdout)\(cli.stderr)")
            for taskID in ["waiting", "delayed"] { #expect(try await client.cancel(taskID).state == .cancelled) }

            for (name, task) in [("waiting", waiting), ("delayed", delayed)] {
                let result = try await task.value
                #expect(result.status == .cancelled && result.error == "the task was cancelled before it ran", "\(name): \(result)")
            }
            let ended = try await running.value
            #expect(ended.status == .cancelled, "\(ended)")
            #expect(ended.error?.contains("ignored SIGTERM and was killed") == true, "\(ended.error ?? "")")
            try await waitUntil("the program and its child to be gone", timeout: .seconds(5)) { started.allSatisfy { !processExists($0) } }

            try await broker.kill()
            try await broker.restart()
            let recovered = try await client.control(.stats, as: BrokerStats.self)
            #expect(recovered.queueDepth == 0 && recovered.delayed == 0, "the next broker owes none of them: \(recovered)")
            for taskID in ["running", "waiting", "delayed"] {
                #expect(try await client.task(taskID).result?.status == .cancelled, "\(taskID) keeps its cancelled result")
            }
            #expect(try pids(in: pidFile).count == 2, "nothing ran again")
            #expect(await broker.shutdown() == 0)
        } catch {
            await broker.shutdown()
            throw error
        }
    }

    @Test("1,000 tasks of priorities 0-9 behind one busy worker of a real pool run highest priority first, ties in arrival order")
    func priorityOrder() async throws {
        try await Deployment.with(pools: [("solo", 1)]) { deployment in
            var generator = SystemRandomNumberGenerator()
            let priorities = (0..<1_000).map { _ in Int.random(in: 0...9, using: &generator) }
            let order = try await RawPeer.session(deployment.frontend) { peer in
                try peer.send(["MHV1", "TASK", "blocker", "affinity", "solo", "", #"{"prompt":"blocker","sleep_ms":1000}"#])
                // The blocker holds the pool's one worker before the others arrive.
                while true {
                    try peer.send(["MHV1", "CTRL", "stats", "stats", "{}"])
                    let reply = try peer.receiveStrings()
                    guard reply.count == 4, reply[1] == "REPLY" else { throw TestFailure("not a stats reply: \(reply)") }
                    if try JSONCoding.decode(BrokerStats.self, from: Array(reply[3].utf8)).inFlight == 1 { break }
                }
                for (index, priority) in priorities.enumerated() {
                    try peer.send(["MHV1", "TASK", "t\(index)", "affinity", "solo", "", #"{"prompt":"t\#(index)"}"#, #"{"priority":\#(priority)}"#])
                }
                var order: [String] = []
                while order.count < 1_001 {
                    let reply = try peer.receiveStrings()
                    guard reply.count == 5, reply[1] == "RESULT" else { throw TestFailure("not a RESULT: \(reply)") }
                    order.append(reply[2])
                }
                return order
            }
            let expected = ["blocker"] + priorities.indices.sorted { (priorities[$0], -$0) > (priorities[$1], -$1) }.map { "t\($0)" }
            #expect(order == expected)
        }
    }

    @Test("mahavishnu pool route: --stream prints each partial output as it comes, then the result; --delay, --priority and --expires-in reach the broker")
    func cliScheduleAndStream() async throws {
        let settings = try streamerSettings(parts: 3)
        try await Deployment.with(pools: [], settings: settings) { deployment in
            try await deployment.startPool(name: "streamer", workers: 1, extraArguments: ["--worker-type", "streamer"])
            let streamed = try await runCommand(mahavishnuExecutable, ["pool", "route", "--prompt", "go", "--stream", "--task-id", "cli-stream", "--broker", deployment.frontend])
            #expect(streamed.status == 0, "\(streamed.stderr)")
            let lines = streamed.stdout.split(separator: "\n").map(String.init)
            #expect(Array(lines.prefix(3)) == (0..<3).map { "[attempt 1] part \($0)" }, "\(lines)")
            #expect(lines.dropFirst(3).first?.hasPrefix("task cli-stream completed on pool pool_streamer") == true, "\(lines)")
            #expect(lines.last == "done")

            let started = ContinuousClock.now
            let scheduled = try await runCommand(mahavishnuExecutable, ["pool", "route", "--prompt", "later", "--delay", "0.5", "--priority", "9", "--expires-in", "60",
                                                                        "--broker", deployment.frontend])
            #expect(scheduled.status == 0 && scheduled.stdout.contains("completed"), "\(scheduled.stdout)\(scheduled.stderr)")
            #expect(ContinuousClock.now - started >= .milliseconds(500), "the delay was not applied")
            let refused = try await runCommand(mahavishnuExecutable, ["pool", "route", "--prompt", "x", "--priority", "12", "--broker", deployment.frontend])
            #expect(refused.status != 0 && refused.stderr.contains("--priority must be from 0 to 9"), "\(refused.stderr)")
        }
    }

    @Test("a delayed task survives a broker SIGKILL and runs at its time; an expired one never runs")
    func delayedAcrossKill() async throws {
        let journal = temporaryPath("journal")
        defer { removeJournal(journal) }
        let settings = try writeSettings(fastFailureSettings + "journal_mode: crash\njournal_path: \(journal)\n")
        let broker = try await RestartableBroker(arguments: ["--settings", settings, "--no-memory"])
        do {
            let client = try BrokerClient(endpoint: broker.frontend)
            defer { client.close() }
            let eta = Date().addingTimeInterval(3)
            let delayed = Task { try await client.submit(TaskRequest(prompt: "at its time"), taskID: "delayed", schedule: ScheduleRequest(eta: eta), timeout: .seconds(60)) }
            let stale = Task { try await client.submit(TaskRequest(prompt: "too late"), taskID: "stale", schedule: ScheduleRequest(expiresIn: .seconds(1)), timeout: .seconds(60)) }
            try await waitUntil("both to wait") { try await client.control(.stats, as: BrokerStats.self).queueDepth == 2 }
            try await broker.kill()
            try await broker.restart()
            #expect(try await client.control(.stats, as: BrokerStats.self).delayed == 1)
            let expired = try await stale.value
            #expect(expired.status == .expired, "\(expired)")
            _ = try await broker.startPool("a", workers: 1, settings: settings)
            let result = try await delayed.value
            #expect(result.status == .completed && result.output == "at its time")
            #expect(Date() >= eta, "it ran before its eta")
            let stats = try await client.control(.stats, as: BrokerStats.self)
            #expect(stats.tasksDispatched == 1, "the expired task was never dispatched")
            #expect(await broker.shutdown() == 0)
        } catch {
            await broker.shutdown()
            throw error
        }
    }
}
