/// The active broker's side of the journal stream: its generation and numbering, how far the
/// passive has acknowledged, and the messages held until it has.
struct ReplicationSource {
    /// Raised by every snapshot; 0 until the first.
    private(set) var generation: UInt64 = 0
    /// The last part sent.
    private(set) var sequence: UInt64 = 0
    /// The last part the passive acknowledged.
    private(set) var acknowledged: UInt64 = 0
    /// The passive applies this generation's stream: its `STATE` said so, or it acknowledged a part.
    private(set) var peerFollows = false
    private var snapshotSentAt: ContinuousClock.Instant?
    /// Outbox messages waiting for the passive to acknowledge the part that holds their records.
    private var held: [(sequence: UInt64, messages: [Outbox.Message])] = []

    var holdsMessages: Bool { !held.isEmpty }

    /// Starts a snapshot: a new generation, numbered from 1.
    mutating func beginSnapshot(at now: ContinuousClock.Instant) -> UInt64 {
        generation += 1
        sequence = 0
        acknowledged = 0
        peerFollows = false
        snapshotSentAt = now
        return generation
    }

    mutating func nextSequence() -> UInt64 {
        sequence += 1
        return sequence
    }

    /// The passive's `STATE`: whether it needs a snapshot (it follows no generation of ours, and
    /// none was sent within `patience`, which it may still be applying).
    mutating func peerReported(generation theirs: UInt64, applied: UInt64, at now: ContinuousClock.Instant, patience: Duration) -> Bool {
        if theirs != 0, theirs == generation {
            acknowledge(generation: theirs, sequence: applied)
            return false
        }
        peerFollows = false
        return snapshotSentAt.map { now - $0 > patience } ?? true
    }

    mutating func acknowledge(generation theirs: UInt64, sequence part: UInt64) {
        guard theirs == generation, generation != 0 else { return }
        peerFollows = true
        acknowledged = max(acknowledged, part)
    }

    /// The passive went silent (or a snapshot started): nothing waits for it any more.
    mutating func peerLost() {
        peerFollows = false
    }

    /// Holds `messages` until the part just sent is acknowledged.
    mutating func hold(_ messages: [Outbox.Message]) {
        held.append((sequence, messages))
    }

    /// The held messages that may go now, oldest first: all of them once the passive no longer follows.
    mutating func releasable() -> [Outbox.Message] {
        let count = peerFollows ? held.prefix { $0.sequence <= acknowledged }.count : held.count
        guard count > 0 else { return [] }
        defer { held.removeFirst(count) }
        return held.prefix(count).flatMap(\.messages)
    }
}
