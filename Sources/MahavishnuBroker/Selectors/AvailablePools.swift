import MahavishnuCore

/// The pools that have a free slot, indexed three ways so every selector picks in O(1) or O(log n).
///
/// The router loop calls `refresh` after every change to a pool's load or capacity; nothing here
/// scans the registry per task.
struct AvailablePools {
    private var ring = RoundRobinRing()
    private var randomSet = RandomPoolSet()
    private var heap = LeastLoadedHeap()
    private var generator = SplitMix64()

    var isEmpty: Bool { randomSet.isEmpty }

    /// Re-indexes `slot` from its current load; a full (or closed) pool, and a worker (reached
    /// by affinity only), leave every index.
    mutating func refresh(_ slot: Int, pool: PoolEntry) {
        if pool.takesSelectorTasks && pool.acceptsWork && pool.inFlight < pool.capacity {
            ring.insert(slot)
            randomSet.insert(slot)
            heap.upsert(slot, key: LoadKey(inFlight: pool.inFlight, capacity: pool.capacity, lastUse: pool.lastUse))
        } else {
            remove(slot)
        }
    }

    mutating func remove(_ slot: Int) {
        ring.remove(slot)
        randomSet.remove(slot)
        heap.remove(slot)
    }

    func isAvailable(_ slot: Int) -> Bool { heap.contains(slot) }

    /// The slot `selector` picks among available pools, or `nil` when none has a free slot.
    ///
    /// `affinity` is resolved by the caller (it names its pool); here it is never passed.
    mutating func pick(_ selector: PoolSelector) -> Int? {
        switch selector {
        case .leastLoaded: heap.top
        case .roundRobin: ring.next()
        case .random: randomSet.randomElement(using: &generator)
        case .affinity: preconditionFailure("affinity tasks are routed by name, not picked")
        }
    }
}
