import MahavishnuCore
import ZeroMQ

/// Sending to producers and pools. Sends never block the loop: a peer that is gone or not
/// reading is reported as `false`, never waited for.
///
/// With a journal, nobody may hear of a change the journal could lose: while it has records
/// not yet written, messages wait in the outbox (reported sent), and `flushOutbox()` writes the
/// records once and then sends them all, handling the few that fail as a direct send would.
extension RouterLoop {
    /// Sends `headers` and then `body` to a producer; `false` if the producer is unreachable.
    @discardableResult
    func sendToProducer(_ address: ReplyAddress, headers: [[UInt8]], body: Payload? = nil, bodyFrame: Int? = nil) -> Bool {
        if holdInOutbox(.init(peer: .producer(address), headers: headers, body: body ?? bodyFrame.map { frames.retain($0) })) { return true }
        return deliverToProducer(address, headers: headers, body: body, bodyFrame: bodyFrame)
    }

    func deliverToProducer(_ address: ReplyAddress, headers: [[UInt8]], body: Payload?, bodyFrame: Int?) -> Bool {
        do {
            guard try frontend.send(address.routingID, more: true, dontWait: true) else { return false }
            if address.delimited { try frontend.send([], more: true) }
            try sendRest(on: frontend, headers: headers, body: body, bodyFrame: bodyFrame)
            return true
        } catch {
            return false
        }
    }

    /// Sends `message` to a pool; `false` if the pool is unreachable.
    func sendToPool(_ routingID: [UInt8], _ message: BrokerToPool) -> Bool {
        let encoded = message.encoded
        if holdInOutbox(.init(peer: .pool(routingID), headers: encoded.headers, body: encoded.body)) { return true }
        return deliverToPool(routingID, headers: encoded.headers, body: encoded.body)
    }

    private func deliverToPool(_ routingID: [UInt8], headers: [[UInt8]], body: Payload?) -> Bool {
        do {
            guard try backend.send(routingID, more: true, dontWait: true) else { return false }
            try sendRest(on: backend, headers: headers, body: body, bodyFrame: nil)
            return true
        } catch {
            return false
        }
    }

    private func sendRest(on socket: Socket, headers: [[UInt8]], body: Payload?, bodyFrame: Int?) throws {
        let hasBody = body != nil || bodyFrame != nil
        for (index, header) in headers.enumerated() {
            try socket.send(header, more: hasBody || index < headers.count - 1)
        }
        if let body { try socket.send(body) }
        if let bodyFrame { try socket.send(frame: bodyFrame, of: frames) }
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
        for message in outbox.take() {
            switch message.peer {
            case .producer(let address):
                let delivered = deliverToProducer(address, headers: message.headers, body: message.body, bodyFrame: nil)
                if message.isOwedResult { resultSent(message.headers[2], to: address, delivered: delivered) }
            case .pool(let routingID):
                if !deliverToPool(routingID, headers: message.headers, body: message.body), let slot = registry.slot(routingID: routingID) {
                    poolLost(slot, reason: "the broker could not reach it")
                }
            }
        }
    }

    /// Sends `ERROR` to a producer about `reference` (a task or request id).
    func replyError(_ address: ReplyAddress, reference: [UInt8], _ code: ErrorCode, _ message: String) {
        sendToProducer(address, headers: [Wire.version, Wire.Command.error, reference, Array(code.rawValue.utf8), Array(message.utf8)])
    }

    /// Sends `ERROR` to a pool.
    func replyErrorToPool(_ routingID: [UInt8], reference: [UInt8], _ code: ErrorCode, _ message: String) {
        _ = sendToPool(routingID, .refusal(code, reference: reference, message))
    }
}

/// Decimal attempt counts as frames, precomputed so a result costs no formatting.
enum AttemptFrame {
    private static let table: [[UInt8]] = (0...16).map { Array(String($0).utf8) }

    static func bytes(_ attempts: Int) -> [UInt8] {
        attempts < table.count ? table[attempts] : Array(String(attempts).utf8)
    }
}
