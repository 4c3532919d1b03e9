@testable import MahavishnuBroker
import Testing
import ZeroMQ

@Suite("Byte bounds of the broker's queues and result cache")
struct ByteBoundsTests {
    func task(_ id: String, bytes: Int) -> PendingTask {
        PendingTask(replyTo: ReplyAddress(routingID: [1], delimited: false), taskID: Array(id.utf8), route: .selector(.leastLoaded),
                    body: Payload([UInt8](repeating: 0x61, count: bytes)), sequence: 0)
    }

    @Test("deadlines of tasks that left are dropped once they outnumber the waiting ones; a waiting task's deadline still expires it")
    func deadlinesOfDepartedTasks() {
        var queues = TaskQueues(bound: 10_000, byteBound: 1 << 30)
        func withDeadline(_ id: String) -> PendingTask {
            var pending = task(id, bytes: 1)
            pending.schedule.deadline = 5_000
            return pending
        }
        var departed = (0..<3_000).map { withDeadline("gone-\($0)") }
        for pending in departed { queues.noteEnqueued(pending) }
        for index in departed.indices {
            let live = queues.noteDequeued(&departed[index])
            #expect(live)
        }
        #expect(queues.deadlineCount == 3_000, "dispatched tasks' deadlines wait for their time")
        queues.noteEnqueued(withDeadline("waiting"))
        #expect(queues.deadlineCount == 1, "past twice the waiting tasks (and 1,024), the departed ones' are dropped")
        #expect(queues.takeExpired(at: 4_999).isEmpty)
        #expect(queues.takeExpired(at: 5_000).map(\.taskID) == [Array("waiting".utf8)])
    }

    @Test("the queues admit tasks until their bodies would pass the byte bound, and count bytes back out")
    func queueBytes() {
        var queues = TaskQueues(bound: 100, byteBound: 1_000)
        var waiting: [PendingTask] = []
        for index in 0..<3 {
            let next = task("t\(index)", bytes: 300)
            #expect(queues.admits(next))
            queues.noteEnqueued(next)
            waiting.append(next)
        }
        #expect(queues.bytes == 900)
        let big = task("big", bytes: 101)
        #expect(!queues.admits(big))
        #expect(queues.refusal(of: big).contains("would pass broker_queue_bytes 1000 bytes"), "\(queues.refusal(of: big))")
        #expect(queues.admits(task("fits", bytes: 100)))
        queues.noteEnqueued(waiting[0])
        #expect(queues.bytes == 900, "a task already waiting is not counted twice")
        for var task in waiting {
            let live = queues.noteDequeued(&task)
            #expect(live, "\(task.taskID) was waiting, not ended")
        }
        #expect(queues.bytes == 0)
        #expect(queues.depth == 0)
    }

    @Test("the count bound is named when it is the one reached")
    func queueCount() {
        var queues = TaskQueues(bound: 1, byteBound: 1 << 20)
        queues.noteEnqueued(task("a", bytes: 10))
        #expect(!queues.admits(task("b", bytes: 10)))
        #expect(queues.refusal(of: task("b", bytes: 10)).contains("broker_queue_bound 1"))
    }

    @Test("the result cache drops its oldest results to stay within its bytes, and skips a result larger than all of them")
    func resultCacheBytes() {
        var cache = ResultCache(capacity: 100, byteCapacity: 1_000)
        for index in 0..<5 {
            cache.insert(Array("r\(index)".utf8), attempts: 1, body: Payload([UInt8](repeating: 0, count: 300)), finishedAt: 0)
        }
        #expect(cache.bytes == 900)
        #expect(cache.count == 3)
        #expect(cache[Array("r1".utf8)] == nil)
        #expect(cache[Array("r2".utf8)] != nil)
        cache.insert(Array("r4".utf8), attempts: 2, body: Payload([UInt8](repeating: 0, count: 100)), finishedAt: 0)
        #expect(cache.bytes == 700, "a replaced result counts its new size only")
        cache.insert(Array("huge".utf8), attempts: 1, body: Payload([UInt8](repeating: 0, count: 1_001)), finishedAt: 0)
        #expect(cache[Array("huge".utf8)] == nil)
        #expect(cache.count == 3)
    }

    @Test("the count capacity still applies")
    func resultCacheCount() {
        var cache = ResultCache(capacity: 2, byteCapacity: 1 << 20)
        for index in 0..<3 { cache.insert(Array("r\(index)".utf8), attempts: 1, body: Payload([1]), finishedAt: 0) }
        #expect(cache.count == 2)
        #expect(cache.bytes == 2)
        #expect(cache[Array("r0".utf8)] == nil)
    }
}
