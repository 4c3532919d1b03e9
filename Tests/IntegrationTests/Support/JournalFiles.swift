import Foundation
import Mahavishnu

/// The size of a journal's header: `MHVJ` and the format version (u32, little-endian).
let journalHeaderSize = 8

/// Removes a journal and the files a broker keeps beside it.
func removeJournal(_ path: String) {
    for suffix in ["", ".lock", ".compacting"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

/// The bytes of the file at `path`.
func fileBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Where each whole record of a journal's `bytes` is (its length and checksum included), read
/// from the length fields alone, as a broker frames them.
func journalRecordFrames(_ bytes: [UInt8]) -> [Range<Int>] {
    var frames: [Range<Int>] = []
    var offset = journalHeaderSize
    while offset + 8 <= bytes.count {
        let length = (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        guard offset + 8 + length <= bytes.count else { break }
        frames.append(offset..<(offset + 8 + length))
        offset += 8 + length
    }
    return frames
}

/// A journal a real broker wrote: tasks `queued-0` … `queued-(count - 1)` accepted with no pool
/// to run them, then the broker SIGKILLed. Returns that broker, to `restart()` on the journal.
func brokerKilled(withQueued count: Int, journal: String) async throws -> RestartableBroker {
    let settings = try writeSettings(fastFailureSettings + "journal_mode: crash\njournal_path: \(journal)\n")
    let broker = try await RestartableBroker(arguments: ["--settings", settings, "--no-memory"])
    do {
        let client = try BrokerClient(endpoint: broker.frontend)
        defer { client.close() }
        _ = try await RawPeer.session(broker.frontend) { peer in
            for index in 0..<count { try peer.send(["MHV1", "TASK", "queued-\(index)", "", "", "", #"{"prompt":"queued \#(index)"}"#]) }
            // Answered after the tasks (one connection keeps order), so none is lost when the socket closes.
            try peer.send(["MHV1", "CTRL", "after-tasks", "stats", "{}"])
            return try peer.receive()
        }
        try await waitUntil("\(count) tasks wait in the queue") { try await client.control(.stats, as: BrokerStats.self).queueDepth == count }
        try await broker.kill()
        return broker
    } catch {
        await broker.shutdown()
        throw error
    }
}
