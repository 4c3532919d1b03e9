import Foundation
import Mahavishnu
import Testing

/// Journals a broker must not take up as they are (another broker's, not a journal, a newer
/// format, damaged before the last record) stop it with a message naming the file and leave the
/// file alone; a torn last record is cut off; a full disk refuses new tasks until there is room.
@Suite("Journals the broker refuses, repairs or cannot write", .serialized)
struct JournalRefusalTests {
    @Test("a journal another broker holds, or one that is not a journal, stops the broker with a message naming the file")
    func refusedJournals() async throws {
        let journal = temporaryPath("journal")
        defer { removeJournal(journal) }
        let settings = try writeSettings("journal_mode: crash\njournal_path: \(journal)\n")
        let first = try await RestartableBroker(arguments: ["--settings", settings, "--no-memory"])
        let second = try await brokerRefusingToStart(["--settings", settings, "--no-memory"])
        #expect(await first.shutdown() == 0)
        #expect(second.status != 0)
        #expect(second.stderr.contains("journal \(journal): another broker is using it"), "\(second.stderr)")

        try Data("garbage that is not a journal".utf8).write(to: URL(fileURLWithPath: journal))
        let damaged = try await brokerRefusingToStart(["--settings", settings, "--no-memory"])
        #expect(damaged.status != 0)
        #expect(damaged.stderr.contains("journal \(journal): it is not a Mahavishnu journal"), "\(damaged.stderr)")
    }

    @Test("a journal of a newer format stops the broker (--journal PATH) with a message naming the file and the format; the file is left as it was")
    func newerFormat() async throws {
        let journal = temporaryPath("journal")
        defer { removeJournal(journal) }
        let written = Array("MHVJ".utf8) + [3, 0, 0, 0]
        try Data(written).write(to: URL(fileURLWithPath: journal))
        let refused = try await brokerRefusingToStart(["--journal-mode", "crash", "--journal", journal, "--no-memory"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("journal \(journal):"), "\(refused.stderr)")
        #expect(refused.stderr.contains("format 3"), "\(refused.stderr)")
        #expect(try fileBytes(journal) == written)
    }

    @Test("a journal damaged before its last record stops the broker with a message naming the file; the file is left as it was")
    func damagedInTheMiddle() async throws {
        let journal = temporaryPath("journal")
        defer { removeJournal(journal) }
        _ = try await brokerKilled(withQueued: 3, journal: journal)
        var bytes = try fileBytes(journal)
        let records = journalRecordFrames(bytes)
        try #require(records.count == 3, "one record per accepted task: \(records)")
        // A byte of the first record's payload, past its length and checksum.
        bytes[records[0].lowerBound + 8 + 5] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: journal))

        let refused = try await brokerRefusingToStart(["--journal-mode", "crash", "--journal", journal, "--no-memory"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("journal \(journal): the record at byte \(records[0].lowerBound) is damaged"), "\(refused.stderr)")
        #expect(try fileBytes(journal) == bytes)
    }

    @Test("a torn last record is cut off and reported; the tasks before it are queued again")
    func tornLastRecord() async throws {
        let journal = temporaryPath("journal")
        defer { removeJournal(journal) }
        let broker = try await brokerKilled(withQueued: 3, journal: journal)
        let bytes = try fileBytes(journal)
        let records = journalRecordFrames(bytes)
        try #require(records.count == 3, "one record per accepted task: \(records)")
        try Data(bytes.dropLast(3)).write(to: URL(fileURLWithPath: journal))

        try await broker.restart()
        do {
            let client = try BrokerClient(endpoint: broker.frontend)
            defer { client.close() }
            let stats = try await client.control(.stats, as: BrokerStats.self)
            #expect(stats.queueDepth == 2, "the two tasks before the torn record")
            #expect(try await client.task("queued-1").state == .queued)
            #expect(try await client.task("queued-2").state == .unknown, "its record was torn")
            let stderr = try await broker.process.stderr(containing: "journal recovered")
            let torn = stderr.firstMatch(of: /journal\.torn_bytes=(\d+)/).flatMap { Int($0.1) }
            #expect(torn == records[2].count - 3, "what was left of the last record: \(stderr)")
        } catch {
            await broker.shutdown()
            throw error
        }
        #expect(await broker.shutdown() == 0)
    }

    @Test("a full disk: new tasks are refused overloaded naming the journal while accepted ones still get their results and stats answer; with space again tasks run, and the journal opens after a SIGKILL",
          .enabled(if: SmallDisk.canMount, "mounting a tmpfs needs root"), .timeLimit(.minutes(1)))
    func fullDisk() async throws {
        try await SmallDisk.with(kibibytes: 2048) { disk in
            // About 256 KiB left: room for the journal's first few 60 KiB tasks, not for 20.
            let filler = try disk.filler(kibibytes: 1792)
            let journal = disk.directory + "/journal"
            let settings = try writeSettings(fastFailureSettings + "journal_mode: crash\njournal_path: \(journal)\n")
            let broker = try await RestartableBroker(arguments: ["--settings", settings, "--no-memory"])
            do {
                _ = try await broker.startPool("slow", workers: 4, settings: settings)
                let run = try await RawPeer.session(broker.frontend, routingID: "disk-producer") { try Self.submitUntilRefused($0, upTo: 20) }
                let refusal = try #require(run.refusal, "the journal never ran out of space (\(run.accepted.count) tasks accepted)")
                #expect(refusal.code == "overloaded")
                #expect(refusal.message.contains("the broker cannot record new tasks: journal \(journal): cannot write to it: No space left on device"), "\(refusal.message)")
                #expect(!run.accepted.isEmpty)
                #expect(run.results == Dictionary(uniqueKeysWithValues: run.accepted.map { ($0, 1) }), "one result for every accepted task")

                let client = try BrokerClient(endpoint: broker.frontend)
                defer { client.close() }
                let stats = try await client.control(.stats, as: BrokerStats.self)
                #expect(stats.tasksAccepted == run.accepted.count)
                #expect(stats.tasksRefusedOverloaded >= 1, "the refusal is counted")
                _ = try await broker.process.stderr(containing: "journal write failed")
                try FileManager.default.removeItem(atPath: filler)
                try await waitUntil("a task is accepted and runs once the journal has room again") {
                    do {
                        return try await client.submit(TaskRequest(prompt: "after"), taskID: "after-space", timeout: .seconds(10)).output == "after"
                    } catch let error as BrokerClientError where error.code == .overloaded {
                        return false
                    }
                }

                _ = try await broker.process.stderr(containing: "journal writes again")
                // Every record written while the disk was full must still read back.
                try await broker.kill()
                try await broker.restart()
                _ = try await broker.process.stderr(containing: "journal recovered")
                for taskID in run.accepted + ["after-space"] {
                    #expect(try await client.task(taskID).state == .completed, "\(taskID) after the restart")
                }
                #expect(await broker.shutdown() == 0)
            } catch {
                await broker.shutdown()
                throw error
            }
        }
    }

    /// An `ERROR` a producer got for a task.
    struct Refusal: Sendable {
        let code: String
        let message: String
    }

    /// What a producer saw submitting large tasks to a broker whose disk fills up.
    struct DiskFullRun: Sendable {
        /// The tasks accepted, in order.
        var accepted: [String] = []
        /// The first refusal.
        var refusal: Refusal?
        /// `RESULT`s received, by task id.
        var results: [String: Int] = [:]
    }

    /// Submits 60 KiB tasks (each sleeping 500 ms in its echo worker) one at a time, each followed by
    /// a `CTRL stats` whose reply says the task was taken or refused, until one is refused or
    /// `limit` were accepted; then asks for stats once more and waits for every accepted task's result.
    static func submitUntilRefused(_ peer: RawPeer, upTo limit: Int) throws -> DiskFullRun {
        var run = DiskFullRun()
        let body = #"{"prompt":"\#(String(repeating: "x", count: 60 << 10))","sleep_ms":500}"#
        // Handles one message: a result, this task's refusal, or a REPLY (whose request id it returns).
        func receive(refusing taskID: String? = nil) throws -> String? {
            let reply = try peer.receive(timeoutMilliseconds: 20_000).map { String(decoding: $0, as: UTF8.self) }
            switch (reply.count, reply.dropFirst().first ?? "") {
            case (4, "REPLY"): return reply[2]
            case (5, "ERROR") where reply[2] == taskID: run.refusal = Refusal(code: reply[3], message: reply[4])
            case (5, "RESULT"):
                guard try JSONCoding.decode(TaskResult.self, from: Array(reply[4].utf8)).status == .completed else {
                    throw TestFailure("\(reply[2]) did not complete: \(reply[4].prefix(200))")
                }
                run.results[reply[2], default: 0] += 1
            default: throw TestFailure("unexpected reply: \(reply.map { $0.prefix(200) })")
            }
            return nil
        }
        for index in 0..<limit where run.refusal == nil {
            let taskID = "big-\(index)"
            try peer.send(["MHV1", "TASK", taskID, "", "", "", body])
            try peer.send(["MHV1", "CTRL", "stats-\(index)", "stats", "{}"])
            while try receive(refusing: taskID) != "stats-\(index)" {}
            if run.refusal == nil { run.accepted.append(taskID) }
        }
        guard run.refusal != nil else { return run }
        // The broker answers while it cannot write its journal.
        try peer.send(["MHV1", "CTRL", "stats-refused", "stats", "{}"])
        while try receive() != "stats-refused" {}
        while run.results.values.reduce(0, +) < run.accepted.count { _ = try receive() }
        return run
    }
}
