/// The passive broker's copy of the active's journal: the snapshot written beside the file and
/// renamed over it once complete, then every batch of records appended in order.
///
/// A part out of order means one was dropped: the copy is given up, and the next `STATE` asks
/// for a fresh snapshot (generation 0). The copy also asks for one once it has grown to twice
/// its snapshot's size, the passive's compaction.
struct JournalReplica {
    /// The generation of the complete copy on disk; 0 when there is none.
    private(set) var generation: UInt64 = 0
    /// The last part applied.
    private(set) var applied: UInt64 = 0
    /// The snapshot being received, and the part it needs next.
    private var receiving: (generation: UInt64, next: UInt64)?
    private var sizeAtSnapshot = 0
    /// Whether parts were applied since the last acknowledgement.
    private(set) var unacknowledged = false

    /// The file holds a complete, current copy: this broker may take over.
    var inSync: Bool { generation != 0 }

    /// The generation to report in `STATE`: 0 asks the active for a snapshot.
    var reportedGeneration: UInt64 { inSync && receiving == nil && !wantsCompaction ? generation : 0 }

    /// Whether parts are synced to the disk (`journal_mode: fsync`) before they are acknowledged.
    let durable: Bool
    private var fileSize = 0

    init(durable: Bool) { self.durable = durable }

    private var wantsCompaction: Bool { fileSize > max(Journal.compactionFloor, 2 * sizeAtSnapshot) }

    /// Applies one part of the stream to `file`.
    mutating func apply(_ message: PeerMessage, to file: JournalFile) throws(JournalError) {
        switch message {
        case .snapshot(let theirs, let part, let records):
            if part == 1 {
                try file.beginReplacement()
                receiving = (theirs, 1)
                generation = 0
            }
            guard let expected = receiving, expected == (theirs, part) else { return giveUp(file) }
            try file.append(records)
            receiving = (theirs, part + 1)
        case .synced(let theirs, let part):
            guard let expected = receiving, expected == (theirs, part + 1) else { return giveUp(file) }
            try file.commitReplacement(durably: durable)
            receiving = nil
            (generation, applied, sizeAtSnapshot) = (theirs, part, file.size)
            unacknowledged = true
        case .records(let theirs, let part, let records):
            if let snapshot = receiving {
                // Records of an older generation are in the snapshot being received.
                if theirs > snapshot.generation { giveUp(file) }
                return
            }
            guard inSync, theirs == generation else {
                // A newer generation whose snapshot never arrived: ask for it again.
                if theirs > generation, inSync { giveUp(file) }
                return
            }
            if part <= applied { return }
            guard part == applied + 1 else { return giveUp(file) }
            try file.append(records)
            applied = part
            unacknowledged = true
        case .state, .ack, .yield:
            return
        }
        fileSize = file.size
    }

    /// The acknowledgement to send, or `nil` if nothing new was applied; `durable`, after syncing what it covers.
    mutating func acknowledgement(of file: JournalFile) throws(JournalError) -> PeerMessage? {
        guard unacknowledged, inSync else { return nil }
        if durable { try file.sync() }
        unacknowledged = false
        return .ack(generation: generation, sequence: applied)
    }

    private mutating func giveUp(_ file: JournalFile) {
        file.abandonReplacement()
        receiving = nil
        generation = 0
    }
}
