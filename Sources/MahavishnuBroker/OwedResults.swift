import DequeModule

/// Results owed to producers with ids of their own that were away when the results were ready
/// (disconnected, or not yet reconnected to a restarted broker): they go out when the producer
/// is back, with no resend on its side. Only task ids are kept; the bodies stay in the result
/// cache, so this is bounded by the cache's bytes and by `capacity` ids.
struct OwedResults {
    private struct Producer {
        let address: ReplyAddress
        var taskIDs: Deque<[UInt8]> = []
    }

    let capacity: Int
    private var producers: [[UInt8]: Producer] = [:]
    /// The producer's routing id each owed task id is held for.
    private var owners: ByteKeyedDictionary<[UInt8]> = [:]
    /// Owed task ids, oldest first, to drop the oldest past `capacity`.
    private var order: Deque<[UInt8]> = []

    init(capacity: Int) { self.capacity = capacity }

    var isEmpty: Bool { owners.isEmpty }
    var count: Int { owners.count }

    /// Whether results are owed to the producer with this routing id.
    func owes(_ routingID: [UInt8]) -> Bool { producers[routingID] != nil }

    /// The producer `taskID`'s result is owed to, if any.
    func owner(of taskID: [UInt8]) -> ReplyAddress? { owners[taskID].flatMap { producers[$0]?.address } }

    /// The routing ids of every producer owed a result.
    var routingIDs: [[UInt8]] { Array(producers.keys) }

    /// Holds `taskID` for `address`; returns the task id dropped to stay within `capacity`, if any.
    mutating func hold(_ taskID: [UInt8], for address: ReplyAddress) -> [UInt8]? {
        guard capacity > 0 else { return taskID }
        if let previous = owners[taskID] { remove(taskID, from: previous) }
        owners[taskID] = address.routingID
        producers[address.routingID, default: Producer(address: address)].taskIDs.append(taskID)
        order.append(taskID)
        // Ids taken since stay in `order` until here: drop them before they outnumber the live ones.
        if order.count > 2 * owners.count + 64 { order = Deque(order.filter { owners[$0] != nil }) }
        guard owners.count > capacity else { return nil }
        while let oldest = order.popFirst() {
            guard let routingID = owners[oldest] else { continue }
            remove(oldest, from: routingID)
            return oldest
        }
        return nil
    }

    /// Takes every task id owed to the producer with this routing id, oldest first.
    mutating func take(_ routingID: [UInt8]) -> (address: ReplyAddress, taskIDs: [[UInt8]])? {
        guard let producer = producers.removeValue(forKey: routingID) else { return nil }
        for taskID in producer.taskIDs { owners[taskID] = nil }
        return (producer.address, Array(producer.taskIDs))
    }

    private mutating func remove(_ taskID: [UInt8], from routingID: [UInt8]) {
        owners[taskID] = nil
        producers[routingID]?.taskIDs.removeAll { $0 == taskID }
        if producers[routingID]?.taskIDs.isEmpty == true { producers[routingID] = nil }
    }
}

extension ReplyAddress {
    /// Whether the producer chose its routing id (libzmq's made-up ids start with a zero byte and
    /// do not survive a reconnect): only such a producer can be sent a result after it comes back.
    var isChosenByProducer: Bool { routingID.first.map { $0 != 0 } ?? false }
}
