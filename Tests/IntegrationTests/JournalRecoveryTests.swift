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
        defer { for suffix in ["", ".lock"] { try? FileManager.default.removeItem(atPath: journal + suffix) } }
        let settings = try writeSettings(fastFailureSettings + "journal_mode: crash\njournal_path: \(journal)\n")
        let broker = try await RestartableBroker(arguments: ["--settings", settings, "--no-memory"])
        var pools: [ManagedProcess] = []
        do {
            let early = try await broker.startPool("a", workers: 1, settings: settings)
            let client = try BrokerClient(endpoint: broker.frontend)
            defer { client.close() }
            #expect(try await client.submit(TaskRequest(prompt: "before"), taskID: "finished-before", timeout: .seconds(30)).status == .completed)
            await early.stop()
            try await waitUntil("pool a left") { try await client.control(.list, as: PoolList.self).pools.isEmpty }

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
            #expect(broker.process.stderrTail.contains("journal recovered"))

            // Pool b has not registered since the restart: its affinity task waits for it.
            for name in ["a", "b"] { pools.append(try await broker.startPool(name, workers: 2, settings: settings)) }
            let results = try await producer.value
            #expect(results == Dictionary(uniqueKeysWithValues: (0..<5).map { ("owed-\($0)", "owed \($0)") } + [("owed-affinity", "for b")]))

            #expect(try await client.submit(TaskRequest(prompt: "before"), taskID: "finished-before", timeout: .seconds(30)).output == "before")
            let stats = try await client.control(.stats, as: BrokerStats.self)
            #expect(stats.resultsFromCache == 1, "the finished task was answered from the journal's results")
            #expect(stats.tasksDispatched == 6)
            for pool in pools { await pool.stop() }
            #expect(await broker.stop() == 0)
        } catch {
            for pool in pools { await pool.stop() }
            await broker.stop()
            throw error
        }
    }

    @Test("a journal another broker holds, or one that is damaged, stops the broker with a message naming the file")
    func refusedJournals() async throws {
        let journal = temporaryPath("journal")
        defer { for suffix in ["", ".lock"] { try? FileManager.default.removeItem(atPath: journal + suffix) } }
        let settings = try writeSettings("journal_mode: crash\njournal_path: \(journal)\n")
        let first = try await RestartableBroker(arguments: ["--settings", settings, "--no-memory"])
        let second = try await runCommand(mahavishnuExecutable, ["broker", "--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*",
                                                                 "--bus-pub", "tcp://127.0.0.1:*", "--bus-sub", "tcp://127.0.0.1:*",
                                                                 "--settings", settings, "--no-memory"])
        #expect(await first.stop() == 0)
        #expect(second.status != 0)
        #expect(second.stderr.contains("journal \(journal): another broker is using it"), "\(second.stderr)")

        try Data("garbage that is not a journal".utf8).write(to: URL(fileURLWithPath: journal))
        let damaged = try await runCommand(mahavishnuExecutable, ["broker", "--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*",
                                                                  "--bus-pub", "tcp://127.0.0.1:*", "--bus-sub", "tcp://127.0.0.1:*",
                                                                  "--settings", settings, "--no-memory"])
        #expect(damaged.status != 0)
        #expect(damaged.stderr.contains("journal \(journal): it is not a Mahavishnu journal"), "\(damaged.stderr)")
    }
}
