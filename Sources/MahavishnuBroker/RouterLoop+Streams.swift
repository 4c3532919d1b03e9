import MahavishnuCore
import ZeroMQ

/// Streaming tasks: partial outputs on their way from pool to producer under the pool's credit,
/// held in order when the producer has no room (`HeldDeliveries`), with the final result behind them.
extension RouterLoop {
    /// Passes a running task's partial output on to its producer, stamped with the attempt, if it
    /// asked to stream. One its producer has no room for yet is held, and the pool gets no credit
    /// for it until it goes. From a pool that no longer holds the task, for a producer that has
    /// gone, or past the bytes held for all producers, it is dropped (and counted).
    ///
    /// Partials are not journaled, so they never wait in the outbox (whose send could not hold
    /// one the producer has no room for); the task's result, which does wait for the journal,
    /// always comes after them.
    func forwardPartial(_ taskID: [UInt8], sequence: Int, body: Payload, from slot: Int) {
        guard let lease = leases[taskID], lease.poolSlot == slot, lease.task.schedule.stream else {
            stats.partialsDropped += 1
            return
        }
        let attempt = lease.task.attempts
        let wire = BrokerToProducer.partial(taskID: taskID, attempt: attempt, sequence: sequence, body: body).encoded
        if heldDeliveries.isEmpty || !heldDeliveries.isHolding(taskID) {
            let delivery = offerToProducer(lease.task.replyTo, wire)
            if delivery != .full { return partialPassedOn(taskID, attempt: attempt, delivered: delivery == .sent) }
        }
        if heldDeliveries.isFull(adding: body.count) { return partialPassedOn(taskID, attempt: attempt, delivered: false) }
        heldDeliveries.hold(.init(wire: wire, attempt: attempt, bytes: body.count), for: taskID, to: lease.task.replyTo)
    }

    /// Tries the held messages again, oldest first per task, until a producer has no room.
    func flushHeldDeliveries() {
        var progressed = false
        for (taskID, address) in heldDeliveries.heldTasks {
            while let message = heldDeliveries.first(of: taskID) {
                let delivery = message.attempt == nil ? offerHeldResult(taskID, message.wire, to: address) : offerToProducer(address, message.wire)
                if delivery == .full { break }
                heldDeliveries.removeFirst(of: taskID)
                progressed = true
                if let attempt = message.attempt { partialPassedOn(taskID, attempt: attempt, delivered: delivery == .sent) }
            }
        }
        heldDeliveries.tried(progressed: progressed)
    }

    /// A partial went to its producer (or was dropped): counted, and credited to the pool once
    /// `HeldDeliveries.grant` of its run have gone, if that run is still leased.
    private func partialPassedOn(_ taskID: [UInt8], attempt: Int, delivered: Bool) {
        if delivered { stats.partialsForwarded += 1 } else { stats.partialsDropped += 1 }
        guard let lease = leases[taskID], lease.task.attempts == attempt else { return }
        guard lease.uncredited + 1 >= HeldDeliveries.grant else {
            leases[taskID]!.uncredited += 1
            return
        }
        leases[taskID]!.uncredited = 0
        _ = sendToPool(registry[lease.poolSlot].routingID, .credit(taskID: taskID, partials: HeldDeliveries.grant))
    }

    /// A held final result, once its partials have gone: sent as `sendResult` sends one, and
    /// held on while its producer has no room.
    private func offerHeldResult(_ taskID: [UInt8], _ wire: WireMessage, to address: ReplyAddress) -> ProducerDelivery {
        if holdInOutbox(.init(peer: .producer(address), wire: wire, result: .streamed)) { return .sent }
        let delivery = offerToProducer(address, wire)
        if delivery != .full { resultSent(taskID, to: address, delivered: delivery == .sent) }
        return delivery
    }
}
