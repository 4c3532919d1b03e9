import Logging
import MahavishnuCore

/// The broker's write-ahead journal: the router loop records each state change of a task here,
/// and everything recorded is written (`write(2)`, one call for all that is pending, and with
/// `fsync` one `fdatasync(2)` after it: group commit) before the loop sends anything (its
/// `Outbox` holds the messages meanwhile), so no producer or pool hears of a change the journal
/// could forget when the broker process dies (or, with `fsync`, when the machine loses power).
///
/// - Important: owned by the router thread.
import Prometheus

final class Journal {
    let file: JournalFile
    let mode: JournalMode
    private let logger: Logger
    private var pending: [UInt8] = []
    /// Why the last write failed (a full disk, say): new tasks are refused, and nothing is
    /// written until `retryFailedWrite()`, while it is set.
    private(set) var failure: String?
    private var sizeAfterCompaction: Int
    /// Times the file was rewritten: each builds and frees a copy of everything live.
    private(set) var compactions = 0
    /// Where each write's duration goes (the `write(2)`, and with `fsync` the sync).
    var writeTimes: DurationHistogram?
    /// Given every batch of records once it is written: an active broker streams them to its passive peer.
    var onWrite: (([UInt8]) -> Void)?

    /// Pending bytes past which a record is written without waiting for the pass to end.
    static let batchBytes = 1 << 20

    /// How long records noted after a write (results delivered) may wait for the next one.
    static let pendingDelay = Duration.milliseconds(1)

    /// The journal grows to at least this before it is compacted.
    static let compactionFloor = 64 << 20

    init(path: String, mode: JournalMode, logger: Logger) throws(JournalError) {
        file = try JournalFile(path: path)
        self.mode = mode
        self.logger = logger
        sizeAfterCompaction = file.size
    }

    /// Writes what is pending (trying once more after a failure) and releases the file for the next broker.
    func close() {
        retryFailedWrite()
        file.close()
    }

    /// Whether records wait to be written.
    var hasPending: Bool { !pending.isEmpty }

    /// Whether records wait and the next `flush()` will write them (no failure holds them back).
    var writesSoon: Bool { !pending.isEmpty && failure == nil }

    /// Notes a change, to be written at the next `flush()`; past a megabyte pending, it writes
    /// at once (messages still wait for the flush), so a burst of large bodies is never held twice.
    func record(_ record: JournalRecord) {
        self.record { record.encode(into: &$0) }
    }

    /// `record(_:)` for a record `encode` appends to the pending bytes itself (from frames or a
    /// payload in place, with no copy on the way).
    func record(_ encode: (inout [UInt8]) -> Void) {
        encode(&pending)
        if pending.count >= Self.batchBytes { flush() }
    }

    /// Writes what is pending, unless a write failed since the last `retryFailedWrite()`.
    func flush() {
        guard !pending.isEmpty, failure == nil else { return }
        let started = ContinuousClock.now
        do {
            try file.append(pending)
            onWrite?(pending)
            pending.removeAll(keepingCapacity: pending.capacity <= 2 * Self.batchBytes)
            // A failed sync leaves the records in the file: the next sync covers them.
            if mode == .fsync { try file.sync() }
            writeTimes?.record(.now - started)
        } catch {
            failure = error.description
            logger.error("journal write failed: new tasks are refused, and the write is retried every heartbeat", metadata: [
                "journal.path": "\(file.path)", "error.message": "\(error)",
            ])
        }
    }

    /// Tries the write that failed again; once per heartbeat.
    func retryFailedWrite() {
        guard failure != nil else { return flush() }
        failure = nil
        flush()
        if failure == nil { logger.notice("journal writes again: new tasks are accepted", metadata: ["journal.path": "\(file.path)"]) }
    }

    /// Whether the file has grown enough past what its live records take to be rewritten.
    var needsCompaction: Bool { file.size > max(Self.compactionFloor, 2 * sizeAfterCompaction) }

    /// Replaces the file with the live state, which `write` encodes and appends in batches.
    func compact(_ write: (_ append: ([UInt8]) throws(JournalError) -> Void) throws(JournalError) -> Void) throws(JournalError) {
        flush()
        if let failure { throw JournalError(file.path, failure) }
        try file.replace(durably: mode == .fsync, write)
        sizeAfterCompaction = file.size
        compactions += 1
    }
}
