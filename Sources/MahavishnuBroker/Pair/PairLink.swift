import MahavishnuCore
import ZeroMQ

/// The pair's sockets: this broker publishes to its peer on a bound PUB and hears it on a SUB
/// connected to the peer's. PUB never blocks the router loop: a message past the high-water mark
/// is dropped, which the receiver sees as a gap in the numbering and repairs with a snapshot.
///
/// With CURVE, both brokers share one key pair (clients trust one server key); the PUB admits only that key.
final class PairLink {
    let publisher: Socket
    let subscriber: Socket

    /// The ZAP domain of the PUB, and its name for handshake monitoring.
    static let zapDomain = "pair"

    static let highWaterMark: Int32 = 1_000

    init(_ configuration: BrokerPairConfiguration, context: Context, security: BrokerSecurity?) throws {
        publisher = try Socket(context, type: .pub, linger: 0)
        subscriber = try Socket(context, type: .sub, linger: 0)
        do {
            if let security {
                try publisher.becomeCurveServer(secretKey: security.keys.secretKey, zapDomain: Self.zapDomain)
                try publisher.monitorHandshakeFailures(at: ZapServer.monitorEndpoint(Self.zapDomain))
                try subscriber.becomeCurveClient(security.keys, serverKey: security.keys.publicKey)
            }
            try publisher.set(.sendHighWaterMark, Self.highWaterMark)
            try subscriber.set(.receiveHighWaterMark, Self.highWaterMark)
            try subscriber.set(.subscribe, "")
            do {
                try publisher.bind(configuration.bind)
            } catch let error as ZMQError {
                throw BrokerError(code: .bindFailed, message: "cannot bind the pair endpoint \(configuration.bind) (broker_pair_bind): \(error)")
            }
            try subscriber.connect(configuration.peer)
        } catch {
            close()
            throw error
        }
    }

    /// Sends without waiting; a message dropped at the high-water mark is a gap the peer repairs.
    func send(_ message: PeerMessage) {
        _ = try? publisher.send(multipart: message.frames, dontWait: true)
    }

    /// The next message from the peer, `.some(nil)` for one that is not a `PeerMessage`, `nil` when none waits.
    func receive() throws -> PeerMessage?? {
        guard let parts = try subscriber.receiveMultipart(dontWait: true) else { return nil }
        return .some(PeerMessage(frames: parts))
    }

    func close() {
        publisher.close()
        subscriber.close()
    }
}
