/// The load of one pool, ordered for `least_loaded`: lowest in-flight/capacity, then least recently used.
struct LoadKey {
    var inFlight: Int
    var capacity: Int
    var lastUse: UInt64

    /// Compares the ratios by cross-multiplying, so no division and no floating point.
    static func isLess(_ a: LoadKey, _ b: LoadKey) -> Bool {
        let left = a.inFlight * b.capacity, right = b.inFlight * a.capacity
        if left != right { return left < right }
        return a.lastUse < b.lastUse
    }
}

/// A binary min-heap of pools with a free slot, indexed by registry slot so a pool's key can
/// change in O(log n) after each dispatch or result.
struct LeastLoadedHeap {
    private var heap: [Int] = []
    private var positions: [Int] = []
    private var keys: [LoadKey] = []

    var top: Int? { heap.first }

    func contains(_ slot: Int) -> Bool { slot < positions.count && positions[slot] >= 0 }

    /// Inserts `slot` or moves it to where `key` now puts it.
    mutating func upsert(_ slot: Int, key: LoadKey) {
        if slot >= positions.count {
            positions.append(contentsOf: repeatElement(-1, count: slot - positions.count + 1))
            keys.append(contentsOf: repeatElement(key, count: slot - keys.count + 1))
        }
        keys[slot] = key
        if positions[slot] < 0 {
            positions[slot] = heap.count
            heap.append(slot)
        }
        let position = positions[slot]
        siftDown(siftUp(position))
    }

    mutating func remove(_ slot: Int) {
        guard contains(slot) else { return }
        let position = positions[slot]
        let last = heap.removeLast()
        positions[slot] = -1
        guard position < heap.count else { return }
        heap[position] = last
        positions[last] = position
        siftDown(siftUp(position))
    }

    private func less(_ i: Int, _ j: Int) -> Bool { LoadKey.isLess(keys[heap[i]], keys[heap[j]]) }

    private mutating func swapAt(_ i: Int, _ j: Int) {
        heap.swapAt(i, j)
        positions[heap[i]] = i
        positions[heap[j]] = j
    }

    private mutating func siftUp(_ start: Int) -> Int {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { break }
            swapAt(child, parent)
            child = parent
        }
        return child
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && less(left, smallest) { smallest = left }
            if right < heap.count && less(right, smallest) { smallest = right }
            guard smallest != parent else { return }
            swapAt(parent, smallest)
            parent = smallest
        }
    }
}
