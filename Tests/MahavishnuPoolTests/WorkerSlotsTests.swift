@testable import MahavishnuPool
import Testing

/// The pool's worker-slot bookkeeping alone: who takes the next task, and what scaling does to
/// idle and busy workers.
@Suite("Worker slots")
struct WorkerSlotsTests {
    @Test("tasks take the longest-idle worker, so work spreads over every worker")
    func spreads() {
        var slots = WorkerSlots(poolID: "p", count: 3)
        var used: [Int] = []
        for _ in 0..<6 {
            let worker = slots.acquire()!
            used.append(worker)
            slots.release(worker)
        }
        #expect(used == [0, 1, 2, 0, 1, 2])
        #expect(slots.workerID(2) == "p.w2")
    }

    @Test("many acquire and release cycles keep every worker in the rotation")
    func rotationSurvivesCompaction() {
        var slots = WorkerSlots(poolID: "p", count: 5)
        var taken: [Int: Int] = [:]
        for _ in 0..<1_000 {
            let worker = slots.acquire()!
            taken[worker, default: 0] += 1
            slots.release(worker)
        }
        #expect(taken == [0: 200, 1: 200, 2: 200, 3: 200, 4: 200])
    }

    @Test("shrinking removes idle workers at once and busy ones only when their task ends")
    func shrinks() {
        var slots = WorkerSlots(poolID: "p", count: 3)
        let busy = [slots.acquire()!, slots.acquire()!]
        slots.resize(to: 1)
        #expect(slots.existing == 2 && slots.busyCount == 2 && slots.idleCount == 0, "the idle one went; both busy ones stay")
        slots.release(busy[0])
        #expect(slots.existing == 1 && slots.idleCount == 0, "a worker beyond the target retires")
        slots.release(busy[1])
        #expect(slots.existing == 1 && slots.idleCount == 1)
        slots.resize(to: 3)
        #expect(slots.existing == 3 && slots.idleCount == 3)
        #expect(slots.acquire() != nil && slots.acquire() != nil && slots.acquire() != nil && slots.acquire() == nil)
    }

    @Test("scaled to zero while busy, the busy worker stays until its task ends; new workers get unused ids")
    func zeroAndBack() {
        var slots = WorkerSlots(poolID: "p", count: 2)
        let busy = slots.acquire()!
        slots.resize(to: 0)
        #expect(slots.existing == 1 && slots.acquire() == nil, "scaling down never kills a running task")
        slots.release(busy)
        #expect(slots.existing == 0)
        slots.resize(to: 2)
        #expect(Set([slots.acquire()!, slots.acquire()!]).isDisjoint(with: [0, 1]))
    }
}
