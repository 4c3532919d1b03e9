/// Counts messages lost on the way from each publisher: every publisher numbers its messages per
/// topic, 1, 2, 3, …, so a jump in the numbers a subscriber sees is a count of messages it missed.
///
/// A subscriber gets every message of a topic it subscribes to, so per-topic numbering has no
/// gaps except real losses. The first message seen on a topic sets the baseline; so does a
/// number that goes backwards (the publisher started over). The table holds at most `capacity`
/// streams; when full it starts afresh, which only costs one baseline per stream.
struct BusSequenceTracker {
    private struct Stream: Hashable {
        let publisher: [UInt8]
        let topic: [UInt8]
    }

    private var last: [Stream: UInt64] = [:]
    let capacity: Int

    init(capacity: Int = 65_536) {
        self.capacity = capacity
    }

    /// Records `sequence` from `publisher` on `topic`; returns how many messages were skipped before it.
    mutating func observe(publisher: [UInt8], topic: [UInt8], sequence: UInt64) -> Int {
        let stream = Stream(publisher: publisher, topic: topic)
        let previous = last[stream]
        if previous == nil && last.count >= capacity { last.removeAll(keepingCapacity: true) }
        last[stream] = sequence
        guard let previous, sequence > previous else { return 0 }
        return Int(sequence - previous - 1)
    }

    /// Forgets the topics under `prefix`: after a new subscription their next message is a baseline,
    /// not a gap over the time nobody was subscribed.
    mutating func forget(topicsStartingWith prefix: [UInt8]) {
        last = last.filter { !$0.key.topic.starts(with: prefix) }
    }
}
