import Foundation
import Mahavishnu
import Testing

/// `journal_mode: crash`: a SIGKILLed broker's successor takes up every task it had accepted and
/// every recent result.
@Suite("The journal across a broker SIGKILL", .serialized)
struct JournalRecoveryTests {
    @Test("queued tasks survive a SIGKILL and reach a producer with its own routing id, which never resends; a finished task is not run again")
    func queuedTasksSurviveKill() async throws {
        let journal = temporaryPath("journal")
        defer { removeJournal(journal) }
        let settings = try writeSettings(fastFailureSettings + "journal_mode: crash\njournal_path: \(journal)\n")
        let broker = try await RestartableBroker(arguments: ["--settings", settings, "--no-memory"])
        do {
            let early = try await broker.startPool("a", workers: 1, settings: settings)
            let client = try BrokerClient(endpoint: broker.frontend)
            defer { client.close() }
            #expect(try await client.submit(TaskRequest(prompt: "before"), taskID: "finished-before", timeout: .seconds(30)).status == .completed)
            try await stopAndWaitUntilGone(early, from: client)

            let frontend = broker.frontend
            let producer = Task {
                try await RawPeer.session(frontend, routingID: "producer-with-id") { peer in
                    for index in 0..<5 { try peer.send(["MHV1", "TASK", "owed-\(index)", "", "", "", #"{"prompt":"owed \#(index)"}"#]) }
                    try peer.send(["MHV1", "TASK", "owed-affinity", "affinity", "b", "", #"{"prompt":"for b"}"#])
                    var results: [String: String] = [:]
                    while results.count < 6 {
                        let reply = try peer.receive(timeoutMilliseconds: 60_000).map { String(decoding: $0, as: UTF8.self) }
                        guard reply.count == 5, reply[1] == "RESULT" else { throw TestFailure("not a RESULT: \(reply)") }
                        guard results[reply[2]] == nil else { throw TestFailure("a second result for \(reply[2])") }
                        results[reply[2]] = try JSONCoding.decode(TaskResult.self, from: Array(reply[4].utf8)).output
                    }
                    return results
                }
            }
            try await waitUntil("six tasks wait in the queue") { try await client.control(.stats, as: BrokerStats.self).queueDepth == 6 }
            try await broker.kill()
            try await broker.restart()
            let recovered = try await client.control(.stats, as: BrokerStats.self)
            #expect(recovered.queueDepth == 6, "the new broker holds every accepted task")
            #expect(recovered.journalBytes > 0)
            _ = try await broker.process.stderr(containing: "journal recovered")

            // Pool b has not registered since the restart: its affinity task waits for it.
            for name in ["a", "b"] { _ = try await broker.startPool(name, workers: 2, settings: settings) }
            let results = try await producer.value
            #expect(results == Dictionary(uniqueKeysWithValues: (0..<5).map { ("owed-\($0)", "owed \($0)") } + [("owed-affinity", "for b")]))

            #expect(try await client.submit(TaskRequest(prompt: "before"), taskID: "finished-before", timeout: .seconds(30)).output == "before")
            let stats = try await client.control(.stats, as: BrokerStats.self)
            #expect(stats.resultsFromCache == 1, "the finished task was answered from the journal's results")
            #expect(stats.tasksDispatched == 6)
            #expect(await broker.shutdown() == 0)
        } catch {
            await broker.shutdown()
            throw error
        }
    }

    @Test("mahavishnu task get, a fresh process after a SIGKILL and restart, prints the result of a task finished before the kill and of one queued at the kill that ran after it")
    func taskGetAfterKill() async throws {
        let settings = try writeSettings(fastFailureSettings + "journal_mode: crash\n")
        // No journal_path: the journal is journal-HOST-PORT in the broker's XDG_STATE_HOME, which every restart shares.
        let broker = try await RestartableBroker(arguments: ["--settings", settings, "--no-memory"])
        do {
            let early = try await broker.startPool("a", workers: 1, settings: settings)
            let client = try BrokerClient(endpoint: broker.frontend)
            defer { client.close() }
            #expect(try await client.submit(TaskRequest(prompt: "before the kill"), taskID: "finished", timeout: .seconds(30)).status == .completed)
            try await stopAndWaitUntilGone(early, from: client)
            _ = try await RawPeer.session(broker.frontend) { peer in
                try peer.send(["MHV1", "TASK", "queued", "", "", "", #"{"prompt":"after the restart"}"#])
                // Answered after the task (one connection keeps order), so it is not lost when the socket closes.
                try peer.send(["MHV1", "CTRL", "after-task", "stats", "{}"])
                return try peer.receive()
            }
            try await waitUntil("the task waits in the queue") { try await client.task("queued").state == .queued }
            try await broker.kill()
            try await broker.restart()

            let frontend = broker.frontend
            let waiting = Task { try await runCommand(mahavishnuExecutable, ["task", "get", "queued", "--wait", "30", "--json", "--broker", frontend]) }
            _ = try await broker.startPool("a", workers: 1, settings: settings)
            let finished = try await runCommand(mahavishnuExecutable, ["task", "get", "finished", "--wait", "30", "--json", "--broker", frontend])
            for (output, prompt) in [(try await waiting.value, "after the restart"), (finished, "before the kill")] {
                #expect(output.status == 0, "\(output.stderr)")
                let report = try JSONCoding.decode(TaskReport.self, from: Array(output.stdout.utf8))
                #expect(report.state == .completed && report.result?.output == prompt, "\(output.stdout)")
            }
            #expect(await broker.shutdown() == 0)
        } catch {
            await broker.shutdown()
            throw error
        }
    }
}

/// Stops `pool` and waits until its broker no longer lists it; the failure says how the pool
/// ended and what the broker still lists (a pool that was lost, not drained, stays listed for
/// `affinity_wait_seconds`).
private func stopAndWaitUntilGone(_ pool: ManagedProcess, from client: BrokerClient) async throws {
    let status = await pool.stop()
    do {
        try await waitUntil("\(pool.name) left") { try await client.control(.list, as: PoolList.self).pools.isEmpty }
    } catch {
        let listed = (try? await client.control(.list, as: PoolList.self).pools.map(\.name)) ?? []
        throw TestFailure("\(error); \(pool.name) ended \(pool.termination.map { "\($0)" } ?? "?") (status \(status)); the broker lists \(listed); its stderr: \(pool.stderrTail.suffix(2_000))")
    }
}
