import Foundation
import Logging
@testable import MahavishnuBroker
import ZeroMQ
import Testing

@Suite("The broker's journal file", .serialized)
struct JournalTests {
    func scratchPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)").path
    }

    func remove(_ path: String) {
        for suffix in ["", ".lock", ".compacting"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    func accepted(_ id: String, body: String = #"{"prompt":"x"}"#) -> JournalRecord {
        .accepted(.init(taskID: Array(id.utf8), replyTo: [0, 1, 2, 3, 4], delimited: false, selector: Array("round_robin".utf8),
                        affinity: [], fallback: [], body: Array(body.utf8)))
    }

    func finished(_ id: String, owedTo: [UInt8] = [], at finishedAt: UInt64 = 1_700_000_000_000) -> JournalRecord {
        .finished(.init(taskID: Array(id.utf8), attempts: 1, body: Array("result \(id)".utf8), finishedAt: finishedAt, owedTo: owedTo, delimited: false))
    }

    func write(_ records: [JournalRecord], to path: String) throws {
        let file = try JournalFile(path: path)
        defer { file.close() }
        var bytes: [UInt8] = []
        for record in records { record.encode(into: &bytes) }
        try file.append(bytes)
    }

    @Test("the checksum is the standard CRC-32")
    func checksum() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test("records written are read back in order by the next broker")
    func roundTrip() throws {
        let path = scratchPath()
        defer { remove(path) }
        let records: [JournalRecord] = [accepted("t1"), .dispatched(taskID: Array("t1".utf8)),
                                        finished("t1", owedTo: Array("producer".utf8)), .delivered(taskID: Array("t1".utf8)),
                                        .dropped(taskID: Array("t2".utf8))]
        try write(records, to: path)
        let reopened = try JournalFile(path: path)
        #expect(reopened.takeRecovered() == records)
        #expect(reopened.tornBytes == 0)
    }

    @Test("a torn last record is cut off and reported; the records before it survive")
    func tornTail() throws {
        let path = scratchPath()
        defer { remove(path) }
        try write([accepted("t1"), accepted("t2")], to: path)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 3)
        try handle.close()
        let reopened = try JournalFile(path: path)
        #expect(reopened.takeRecovered() == [accepted("t1")])
        #expect(reopened.tornBytes > 0)
        #expect(reopened.size == Int(size) - 3 - reopened.tornBytes, "the torn bytes are gone from the file")
    }

    @Test("damage before the last record, another format, another broker's lock: each an error naming the file and what to do")
    func refusals() throws {
        let path = scratchPath()
        defer { remove(path) }
        try write([accepted("t1"), accepted("t2")], to: path)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[JournalFile.header.count + 12] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let damaged = #expect(throws: JournalError.self) { try JournalFile(path: path) }
        #expect(damaged?.description.contains(path) == true && damaged?.description.contains("damaged") == true, "\(damaged?.description ?? "")")

        var future = JournalFile.magic
        JournalRecord.appendInteger(JournalFile.formatVersion + 1, to: &future)
        try Data(future).write(to: URL(fileURLWithPath: path))
        let newer = #expect(throws: JournalError.self) { try JournalFile(path: path) }
        #expect(newer?.description.contains("format \(JournalFile.formatVersion + 1)") == true)

        try Data("not a journal".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: JournalError.self) { try JournalFile(path: path) }

        try FileManager.default.removeItem(atPath: path)
        let owner = try JournalFile(path: path)
        let locked = #expect(throws: JournalError.self) { try JournalFile(path: path) }
        #expect(locked?.description.contains("another broker is using it") == true)
        owner.close()
        #expect(throws: Never.self, "a closed journal is free for the next broker") { _ = try JournalFile(path: path) }
    }

    @Test("replay: owed tasks in acceptance order with their dispatch counts; finished and dropped ones are not owed; a result is owed to its producer until delivered")
    func replay() {
        let id = { (name: String) in Array(name.utf8) }
        let replay = JournalReplay([
            accepted("a"), accepted("b"), accepted("c"), .dispatched(taskID: id("b")), .dispatched(taskID: id("b")),
            finished("a", owedTo: id("producer")), .dropped(taskID: id("c")), accepted("d"),
            accepted("e"), finished("e", owedTo: id("producer")), .delivered(taskID: id("e")),
        ])
        #expect(replay.owed.map { String(decoding: $0.task.taskID, as: UTF8.self) } == ["b", "d"])
        #expect(replay.owed.map(\.attempts) == [2, 0])
        #expect(replay.results.map { String(decoding: $0.taskID, as: UTF8.self) } == ["a", "e"])
        #expect(replay.results.map(\.owedTo) == [id("producer"), []], "e was delivered; a is still owed")
        #expect(replay.results.map(\.finishedAt) == [1_700_000_000_000, 1_700_000_000_000])
    }

    @Test("results older than the retention leave the cache, oldest first")
    func retention() {
        var cache = ResultCache(capacity: 10, byteCapacity: 1 << 20)
        for (index, finishedAt) in [UInt64(1_000), 2_000, 3_000].enumerated() {
            cache.insert(Array("t\(index)".utf8), attempts: 1, body: Payload(Array("body".utf8)), finishedAt: finishedAt)
        }
        cache.removeFinished(before: 2_500)
        #expect(cache.count == 1)
        #expect(cache[Array("t2".utf8)] != nil)
        #expect(cache.bytes == 4)
    }

    @Test("compaction keeps only what is live, and the journal reopens to it")
    func compaction() throws {
        let path = scratchPath()
        defer { remove(path) }
        do {
            let journal = try Journal(path: path, mode: .crash, logger: Logger(label: "journal-test"))
            defer { journal.close() }
            for index in 0..<100 { journal.record(accepted("t\(index)", body: String(repeating: "x", count: 1_000))) }
            journal.flush()
            let before = journal.file.size
            var live: [UInt8] = []
            accepted("t99").encode(into: &live)
            try journal.compact { (append) throws(JournalError) in try append(live) }
            #expect(journal.file.size < before / 50)
            journal.record(.dispatched(taskID: Array("t99".utf8)))
            journal.flush()
        }
        #expect(try JournalFile(path: path).takeRecovered() == [accepted("t99"), .dispatched(taskID: Array("t99".utf8))])
        #expect(!FileManager.default.fileExists(atPath: path + ".compacting"))
    }
}
