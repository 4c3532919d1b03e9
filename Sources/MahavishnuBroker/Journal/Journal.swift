import MahavishnuCore

/// The broker's write-ahead journal: the router loop records each state change of a task here,
/// and everything recorded is written (`write(2)`, one call for all that is pending, and with
/// `fsync` one `fdatasync(2)` after it: group commit) before the loop sends anything (its
/// `Outbox` holds the messages meanwhile), so no producer or pool hears of a change the journal
/// could forget when the broker process dies (or, with `fsync`, when the machine loses power).
///
/// - Important: owned by the router thread.
final class Journal {
    let file: JournalFile
    let mode: JournalMode
    private var pending: [UInt8] = []
    /// Why the last write failed (a full disk, say); new tasks are refused while it is set.
    private(set) var failure: String?
    private var sizeAfterCompaction: Int

    /// How long records noted after a write (results delivered) may wait for the next one.
    static let pendingDelay = Duration.milliseconds(1)

    /// The journal grows to at least this before it is compacted.
    static let compactionFloor = 64 << 20

    init(path: String, mode: JournalMode) throws(JournalError) {
        file = try JournalFile(path: path)
        self.mode = mode
        sizeAfterCompaction = file.size
    }

    /// Writes what is pending and releases the file for the next broker.
    func close() {
        flush()
        file.close()
    }

    /// Whether records wait to be written.
    var hasPending: Bool { !pending.isEmpty }

    func record(_ record: JournalRecord) {
        record.encode(into: &pending)
    }

    /// Writes what is pending; a failure is kept in `failure` (and retried at the next flush).
    func flush() {
        guard !pending.isEmpty else { return }
        do {
            try file.append(pending)
            if mode == .fsync { try file.sync() }
            pending.removeAll(keepingCapacity: pending.count <= 1 << 20)
            failure = nil
        } catch {
            failure = error.description
        }
    }

    /// Whether the file has grown enough past what its live records take to be rewritten.
    var needsCompaction: Bool { file.size > max(Self.compactionFloor, 2 * sizeAfterCompaction) }

    /// Replaces the file with `records`, the encoded live state (nothing may be pending).
    func compact(to records: [UInt8]) throws(JournalError) {
        flush()
        if let failure { throw JournalError(file.path, failure) }
        try file.replace(with: records)
        sizeAfterCompaction = file.size
    }
}
