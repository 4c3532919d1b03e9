import MahavishnuCore
import Testing
@testable import MahavishnuBroker

@Suite("Selector indexes")
struct SelectorIndexTests {
    @Test("the ring serves slots in order, skips removed ones and wraps")
    func ringOrder() {
        var ring = RoundRobinRing()
        for slot in [0, 1, 2, 70, 130] { ring.insert(slot) }
        ring.remove(2)
        #expect((0..<8).compactMap { _ in ring.next() } == [0, 1, 70, 130, 0, 1, 70, 130])
        ring.remove(0)
        ring.remove(1)
        ring.remove(70)
        ring.remove(130)
        #expect(ring.next() == nil)
    }

    @Test("least loaded compares in-flight over capacity, then least recent use")
    func leastLoadedOrdering() {
        var heap = LeastLoadedHeap()
        // Slot 0 has 4 workers and 2 tasks (0.5); slot 1 has 10 workers and 3 tasks (0.3): load, not worker count, decides.
        heap.upsert(0, key: LoadKey(inFlight: 2, capacity: 4, lastUse: 1))
        heap.upsert(1, key: LoadKey(inFlight: 3, capacity: 10, lastUse: 2))
        #expect(heap.top == 1)
        heap.upsert(2, key: LoadKey(inFlight: 0, capacity: 1, lastUse: 9))
        heap.upsert(3, key: LoadKey(inFlight: 0, capacity: 5, lastUse: 4))
        #expect(heap.top == 3, "equal load goes to the least recently used")
        heap.remove(3)
        #expect(heap.top == 2)
        heap.upsert(2, key: LoadKey(inFlight: 1, capacity: 1, lastUse: 10))
        #expect(heap.top == 1)
    }

    @Test("the heap stays a heap through many random updates")
    func heapInvariant() {
        var heap = LeastLoadedHeap()
        var keys: [Int: LoadKey] = [:]
        var generator = SplitMix64(seed: 42)
        for step in 0..<5_000 {
            let slot = Int.random(in: 0..<64, using: &generator)
            if Bool.random(using: &generator) {
                let key = LoadKey(inFlight: Int.random(in: 0..<10, using: &generator), capacity: Int.random(in: 10..<20, using: &generator), lastUse: UInt64(step))
                heap.upsert(slot, key: key)
                keys[slot] = key
            } else {
                heap.remove(slot)
                keys[slot] = nil
            }
            let expected = keys.min { LoadKey.isLess($0.value, $1.value) }?.key
            #expect(heap.top == expected)
        }
    }

    @Test("the random set picks only members, each of them eventually")
    func randomSet() {
        var set = RandomPoolSet()
        var generator = SplitMix64(seed: 7)
        for slot in 0..<5 { set.insert(slot) }
        set.remove(3)
        let picks = Set((0..<400).compactMap { _ in set.randomElement(using: &generator) })
        #expect(picks == [0, 1, 2, 4])
        for slot in [0, 1, 2, 4] { set.remove(slot) }
        #expect(set.isEmpty)
        #expect(set.randomElement(using: &generator) == nil)
    }

    @Test("a full pool leaves every index and comes back when a slot frees")
    func availablePools() {
        var available = AvailablePools()
        var pool = PoolEntry(registration: PoolRegistration(poolID: "p", name: "p", type: "mahavishnu", workerType: "echo", minWorkers: 1, maxWorkers: 2, workers: 2, pid: 1, host: "h"))
        available.refresh(0, pool: pool)
        #expect(available.pick(.leastLoaded) == 0)
        pool.inFlight = 2
        available.refresh(0, pool: pool)
        #expect(available.isEmpty)
        for selector in [PoolSelector.leastLoaded, .roundRobin, .random] { #expect(available.pick(selector) == nil) }
        pool.inFlight = 1
        available.refresh(0, pool: pool)
        for selector in [PoolSelector.leastLoaded, .roundRobin, .random] { #expect(available.pick(selector) == 0) }
    }
}
