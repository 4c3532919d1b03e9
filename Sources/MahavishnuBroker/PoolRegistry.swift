import MahavishnuCore

/// The registered pools, addressable by registry slot, routing id, pool id or name.
///
/// Slots are reused after a pool leaves, so slot indices stay dense for the selectors' indexes.
struct PoolRegistry {
    /// Every slot's latest pool. A removed pool's entry stays until its slot is reused, so
    /// reading or updating an entry never unwraps (and copies) an optional.
    private var slots: [PoolEntry] = []
    /// Whether each slot's pool is still registered.
    private var live: [Bool] = []
    private var freeSlots: [Int] = []
    private var slotByRoutingID: ByteKeyedDictionary<Int> = [:]
    private var slotByName: [String: Int] = [:]

    var count: Int { slotByRoutingID.count }

    /// Reads and writes in place: `registry[slot].inFlight += 1` or `registry[slot].phase` must
    /// not copy the whole entry (callgrind: entry copies were a tenth of the loop per task).
    subscript(slot: Int) -> PoolEntry {
        _read { yield slots[slot] }
        _modify { yield &slots[slot] }
    }

    /// Every slot ever used, live or free.
    var slotIndices: Range<Int> { slots.indices }

    /// Whether a registered pool holds `slot`.
    func isLive(_ slot: Int) -> Bool { live[slot] }

    /// The slot of the pool whose routing id (pool id) is `routingID`.
    func slot(routingID: [UInt8]) -> Int? { slotByRoutingID[routingID] }

    /// The slot of the pool named by `reference`: its pool id first, then its name.
    func slot(reference: [UInt8]) -> Int? {
        slotByRoutingID[reference] ?? slotByName[String(decoding: reference, as: UTF8.self)]
    }

    /// The live pool, other than `poolID`, already using `name`.
    func owner(ofName name: String, otherThan poolID: String) -> PoolEntry? {
        guard let slot = slotByName[name], self[slot].registration.poolID != poolID else { return nil }
        return self[slot]
    }

    /// Adds a pool; returns its slot.
    mutating func add(_ entry: PoolEntry) -> Int {
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
            slots[slot] = entry
            live[slot] = true
        } else {
            slot = slots.count
            slots.append(entry)
            live.append(true)
        }
        slotByRoutingID[entry.routingID] = slot
        slotByName[entry.registration.name] = slot
        return slot
    }

    /// Removes the pool in `slot` and returns it.
    @discardableResult
    mutating func remove(_ slot: Int) -> PoolEntry {
        let entry = self[slot]
        live[slot] = false
        freeSlots.append(slot)
        slotByRoutingID[entry.routingID] = nil
        if slotByName[entry.registration.name] == slot { slotByName[entry.registration.name] = nil }
        return entry
    }

    /// The live pools, in slot order.
    var entries: [PoolEntry] { slots.indices.filter { live[$0] }.map { slots[$0] } }
}
