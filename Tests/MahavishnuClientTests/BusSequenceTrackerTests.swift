@testable import MahavishnuClient
import Testing

@Suite("Counting missed bus messages from sequence numbers")
struct BusSequenceTrackerTests {
    let publisher: [UInt8] = Array("pool_a#1".utf8)
    let topic: [UInt8] = Array("task_completed//".utf8)

    @Test("the first number is a baseline; a jump counts the messages skipped")
    func gaps() {
        var tracker = BusSequenceTracker()
        #expect(tracker.observe(publisher: publisher, topic: topic, sequence: 7) == 0)
        #expect(tracker.observe(publisher: publisher, topic: topic, sequence: 8) == 0)
        #expect(tracker.observe(publisher: publisher, topic: topic, sequence: 12) == 3)
        #expect(tracker.observe(publisher: publisher, topic: Array("pool_closed//".utf8), sequence: 40) == 0, "each topic is its own stream")
        #expect(tracker.observe(publisher: Array("pool_b#2".utf8), topic: topic, sequence: 3) == 0, "each publisher too")
    }

    @Test("a number going backwards (the publisher started over) is a new baseline, not a gap")
    func restart() {
        var tracker = BusSequenceTracker()
        _ = tracker.observe(publisher: publisher, topic: topic, sequence: 100)
        #expect(tracker.observe(publisher: publisher, topic: topic, sequence: 1) == 0)
        #expect(tracker.observe(publisher: publisher, topic: topic, sequence: 2) == 0)
    }

    @Test("after a new subscription, topics under it start from a fresh baseline")
    func forget() {
        var tracker = BusSequenceTracker()
        _ = tracker.observe(publisher: publisher, topic: topic, sequence: 5)
        tracker.forget(topicsStartingWith: Array("task_completed/".utf8))
        #expect(tracker.observe(publisher: publisher, topic: topic, sequence: 50) == 0)
    }

    @Test("a full table starts afresh instead of growing")
    func bounded() {
        var tracker = BusSequenceTracker(capacity: 2)
        _ = tracker.observe(publisher: publisher, topic: Array("a//".utf8), sequence: 1)
        _ = tracker.observe(publisher: publisher, topic: Array("b//".utf8), sequence: 1)
        _ = tracker.observe(publisher: publisher, topic: Array("c//".utf8), sequence: 1)
        #expect(tracker.observe(publisher: publisher, topic: Array("a//".utf8), sequence: 9) == 0)
    }
}
