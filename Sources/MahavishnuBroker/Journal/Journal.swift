/// The broker's write-ahead journal (`journal_mode: crash`): the router loop records each state
/// change of a task here, and everything recorded is written (`write(2)`, one call for all that
/// is pending) before the loop sends anything (its `Outbox` holds the messages meanwhile), so no
/// producer or pool hears of a change the journal could forget when the broker process dies.
///
/// - Important: owned by the router thread.
final class Journal {
    let file: JournalFile
    private var pending: [UInt8] = []
    /// Why the last write failed (a full disk, say); new tasks are refused while it is set.
    private(set) var failure: String?
    private var sizeAfterCompaction: Int

    /// The journal grows to at least this before it is compacted.
    static let compactionFloor = 64 << 20

    init(path: String) throws(JournalError) {
        file = try JournalFile(path: path)
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
