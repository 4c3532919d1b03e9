/// Pools with a free slot, in ring order (registry slot order), served in turn.
///
/// A bitmap over registry slots: finding the next available pool after the cursor costs one
/// word scan per 64 pools, so 1,000 pools cost at most 16 word reads a task.
struct RoundRobinRing {
    private var words: [UInt64] = []
    private var cursor = 0

    mutating func insert(_ slot: Int) {
        let word = slot >> 6
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word - words.count + 1)) }
        words[word] |= 1 << UInt64(slot & 63)
    }

    mutating func remove(_ slot: Int) {
        let word = slot >> 6
        guard word < words.count else { return }
        words[word] &= ~(1 << UInt64(slot & 63))
    }

    func contains(_ slot: Int) -> Bool {
        let word = slot >> 6
        return word < words.count && words[word] & (1 << UInt64(slot & 63)) != 0
    }

    /// The first available slot at or after the cursor, wrapping; advances the cursor past it.
    mutating func next() -> Int? {
        guard let slot = firstSet(from: cursor) ?? firstSet(from: 0) else { return nil }
        cursor = slot + 1
        return slot
    }

    private func firstSet(from start: Int) -> Int? {
        var word = start >> 6
        guard word < words.count else { return nil }
        var bits = words[word] & (~0 << UInt64(start & 63))
        while true {
            if bits != 0 { return word << 6 | bits.trailingZeroBitCount }
            word += 1
            guard word < words.count else { return nil }
            bits = words[word]
        }
    }
}
