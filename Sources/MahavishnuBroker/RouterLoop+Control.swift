import MahavishnuCore
import ZeroMQ

/// Producer `CTRL` requests: administrative, rare, so their JSON is decoded here.
extension RouterLoop {
    func handleControl(from address: ReplyAddress, first: Int) {
        guard frames.count == first + Wire.controlFrames else {
            stats.malformedFrontend += 1
            return replyError(address, reference: [], .badRequest, "CTRL takes 5 frames (MHV1, CTRL, request id, command, JSON arguments); got \(frames.count - first)")
        }
        let requestID = frames.bytes(first + 2)
        guard let command = ControlCommand(rawValue: frames.string(first + 3)) else {
            stats.malformedFrontend += 1
            return replyError(address, reference: requestID, .unknownCommand, "unknown control command '\(frames.string(first + 3))'; known: \(ControlCommand.validNames)")
        }
        let body: [UInt8]
        do {
            switch command {
            case .list:
                body = try JSONCoding.encode(PoolList(pools: registry.entries.map { $0.summary() }))
            case .stats:
                var snapshot = stats
                snapshot.queueDepth = queues.depth
                snapshot.inFlight = leases.count
                snapshot.pools = registry.count
                body = try JSONCoding.encode(snapshot)
            }
        } catch {
            return replyError(address, reference: requestID, .badRequest, "cannot encode the reply: \(error)")
        }
        sendToProducer(address, headers: [Wire.version, Wire.Command.reply, requestID, body])
    }
}
