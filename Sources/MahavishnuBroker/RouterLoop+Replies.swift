import MahavishnuCore
import ZeroMQ

/// Sending to producers and pools. Sends never block the loop: a peer that is gone or not
/// reading is reported as `false`, never waited for. Each send first writes what the journal
/// has pending, so nobody hears of a change the journal could lose.
extension RouterLoop {
    /// Sends `headers` and then `body` to a producer; `false` if the producer is unreachable.
    @discardableResult
    func sendToProducer(_ address: ReplyAddress, headers: [[UInt8]], body: Payload? = nil, bodyFrame: Int? = nil) -> Bool {
        journal?.flush()
        do {
            guard try frontend.send(address.routingID, more: true, dontWait: true) else { return false }
            if address.delimited { try frontend.send([], more: true) }
            try sendRest(on: frontend, headers: headers, body: body, bodyFrame: bodyFrame)
            return true
        } catch {
            return false
        }
    }

    /// Sends `headers` and then `body` to a pool; `false` if the pool is unreachable.
    func sendToPool(_ routingID: [UInt8], headers: [[UInt8]], body: Payload? = nil) -> Bool {
        journal?.flush()
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

    /// Sends `ERROR` to a producer about `reference` (a task or request id).
    func replyError(_ address: ReplyAddress, reference: [UInt8], _ code: ErrorCode, _ message: String) {
        sendToProducer(address, headers: [Wire.version, Wire.Command.error, reference, Array(code.rawValue.utf8), Array(message.utf8)])
    }

    /// Sends `ERROR` to a pool.
    func replyErrorToPool(_ routingID: [UInt8], reference: [UInt8], _ code: ErrorCode, _ message: String) {
        _ = sendToPool(routingID, headers: [Wire.version, Wire.Command.error, reference, Array(code.rawValue.utf8), Array(message.utf8)])
    }
}

/// Decimal attempt counts as frames, precomputed so a result costs no formatting.
enum AttemptFrame {
    private static let table: [[UInt8]] = (0...16).map { Array(String($0).utf8) }

    static func bytes(_ attempts: Int) -> [UInt8] {
        attempts < table.count ? table[attempts] : Array(String(attempts).utf8)
    }
}
