/// Pools with a free slot, for a uniform pick in O(1): a dense array plus each slot's position.
struct RandomPoolSet {
    private var members: [Int] = []
    private var positions: [Int] = []

    var isEmpty: Bool { members.isEmpty }

    mutating func insert(_ slot: Int) {
        if slot >= positions.count { positions.append(contentsOf: repeatElement(-1, count: slot - positions.count + 1)) }
        guard positions[slot] < 0 else { return }
        positions[slot] = members.count
        members.append(slot)
    }

    mutating func remove(_ slot: Int) {
        guard slot < positions.count, positions[slot] >= 0 else { return }
        let position = positions[slot]
        let last = members.removeLast()
        if last != slot {
            members[position] = last
            positions[last] = position
        }
        positions[slot] = -1
    }

    func randomElement(using generator: inout some RandomNumberGenerator) -> Int? {
        members.randomElement(using: &generator)
    }
}

/// A fast, non-cryptographic generator (SplitMix64) for the `random` selector.
///
/// The system generator costs a syscall per call on Linux; a selector runs per task.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64 = UInt64.random(in: .min ... .max)) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
