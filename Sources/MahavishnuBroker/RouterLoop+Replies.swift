import MahavishnuCore
import ZeroMQ

/// Sending to producers and pools. Sends never block the loop: a peer that is gone or not
/// reading is reported as `false`, never waited for.
///
/// With a journal, nobody may hear of a change the journal could lose: while it has records
/// not yet written, messages wait in the outbox (reported sent), and `flushOutbox()` writes the
/// records once and then sends them all, handling the few that fail as a direct send would.
extension RouterLoop {
    /// Sends `message` to a producer; `false` if the producer is unreachable.
    @discardableResult
    func sendToProducer(_ address: ReplyAddress, _ message: BrokerToProducer) -> Bool {
        let encoded = message.encoded
        if holdInOutbox(.init(peer: .producer(address), wire: encoded)) { return true }
        return deliverToProducer(address, encoded)
    }

    func deliverToProducer(_ address: ReplyAddress, _ message: WireMessage) -> Bool {
        offerToProducer(address, message) == .sent
    }

    /// Sends `message` to a producer now if its pipe has room: `.full` if it has none (it reads
    /// slower than it is sent to), `.gone` if it is not connected.
    func offerToProducer(_ address: ReplyAddress, _ message: WireMessage) -> ProducerDelivery {
        do {
            guard try frontend.send(address.routingID, more: true, dontWait: true) else { return .full }
            if address.delimited { try frontend.send([], more: true) }
            return try frontend.send(message) ? .sent : .full
        } catch {
            return .gone
        }
    }

    /// Sends `message` to a pool; `false` if the pool is unreachable.
    func sendToPool(_ routingID: [UInt8], _ message: BrokerToPool) -> Bool {
        let encoded = message.encoded
        if holdInOutbox(.init(peer: .pool(routingID), wire: encoded)) { return true }
        return deliverToPool(routingID, encoded)
    }

    private func deliverToPool(_ routingID: [UInt8], _ message: WireMessage) -> Bool {
        (try? backend.send(message, to: routingID, dontWait: true)) ?? false
    }

    /// Puts `message` in the outbox if sends must wait: the journal has records to write first,
    /// or earlier messages wait there (order is kept). `false` if it may go now.
    func holdInOutbox(_ message: Outbox.Message) -> Bool {
        guard let journal, journal.hasPending || !outbox.isEmpty else { return false }
        outbox.append(message)
        return true
    }

    /// Writes the journal's pending records, then sends what waited for them. Call once per pass
    /// of the loop, and before it stops.
    func flushOutbox() {
        guard let journal, !outbox.isEmpty || journal.hasPending else { return }
        journal.flush()
        if let pair {
            // In order: what waited for the passive goes first, and this pass waits behind it.
            releaseHeldForPeer(pair)
            if holdsForPeer { return pair.source.hold(outbox.take()) }
        }
        send(outbox.take())
    }

    /// Sends messages the outbox held, in order.
    func send(_ messages: [Outbox.Message]) {
        for message in messages {
            switch message.peer {
            case .producer(let address) where message.result != nil:
                offerResult(message.wire.headers[2], message.wire, to: address, waitsForRoom: message.result == .streamed)
            case .producer(let address):
                _ = deliverToProducer(address, message.wire)
            case .pool(let routingID):
                if !deliverToPool(routingID, message.wire), let slot = registry.slot(routingID: routingID) {
                    poolLost(slot, reason: "the broker could not reach it")
                }
            }
        }
    }

    /// Sends `ERROR` to a producer about `reference` (a task or request id).
    func replyError(_ address: ReplyAddress, reference: [UInt8], _ code: ErrorCode, _ message: String) {
        sendToProducer(address, .refusal(code, reference: reference, message))
    }

    /// Sends `ERROR` to a pool.
    func replyErrorToPool(_ routingID: [UInt8], reference: [UInt8], _ code: ErrorCode, _ message: String) {
        _ = sendToPool(routingID, .refusal(code, reference: reference, message))
    }
}

/// What became of a message offered to a producer.
enum ProducerDelivery {
    case sent, full, gone
}
