import Foundation
import Logging
import MahavishnuCore
import ZeroMQ

/// The pool's connection to the broker: one DEALER, heartbeats, and a fresh socket (with
/// backoff) when the broker has been silent too long — after a broker restart, say. Given the
/// backends of a broker pair, the fresh socket goes to the next one, and so does a pool that the
/// broker it reached refuses with `not_active`.
///
/// - Important: owned by the pool's socket thread.
final class BrokerLink {
    /// The broker backends to try, in turn.
    let endpoints: [String]
    private var current = 0
    /// The backend the socket is connected to.
    var endpoint: String { endpoints[current] }
    private let routingID: String
    private let context: Context
    private let logger: Logger
    private var interval: Duration
    private var liveness: Int
    /// The largest result body the broker takes (from its WELCOME); `nil` until it says.
    private(set) var maxResultBytes: Int?
    private let curve: ClientCurveKeys?
    private(set) var socket: Socket
    /// The socket's handshakes, read when the broker stays silent.
    private var handshakes: HandshakeWatch
    /// Whether the log has said why the broker refuses this pool (it says so once).
    private var refusalLogged = false
    private var lastHeard = ContinuousClock.now
    private var nextBeat = ContinuousClock.now
    private var backoff = Duration.milliseconds(250)
    private var reconnectAt: ContinuousClock.Instant?
    /// `moveOn()` was called: the socket goes at the next `service`.
    private var movingOn = false

    init(endpoints: [String], routingID: String, heartbeatInterval: Duration, liveness: Int, curve: ClientCurveKeys?, logger: Logger) throws {
        precondition(!endpoints.isEmpty, "a pool needs a broker endpoint")
        self.endpoints = endpoints
        self.routingID = routingID
        self.logger = logger
        interval = heartbeatInterval
        self.liveness = liveness
        self.curve = curve
        context = try Context()
        (socket, handshakes) = try Socket.watchedBrokerDealer(context, endpoint: endpoints[0], routingID: routingID, curve: curve)
    }

    /// How long the broker may be silent before the link gives up on the socket.
    var silenceLimit: Duration { interval * liveness }

    /// Keeps to the terms of the broker that welcomed the pool: its heartbeats, on which it
    /// declares the pool lost, and its result size limit.
    func adopt(_ terms: WelcomeTerms) {
        maxResultBytes = terms.maxResultBytes
        guard terms.heartbeatIntervalMs > 0, terms.heartbeatLiveness > 0 else { return }
        interval = terms.heartbeatInterval
        liveness = terms.heartbeatLiveness
        nextBeat = min(nextBeat, .now + interval)
    }

    /// Whether the link is waiting to reconnect (messages sent now are dropped).
    var isReconnecting: Bool { reconnectAt != nil }

    /// Sends a message without ever blocking: while the link is down, or while the broker has
    /// not completed the handshake (it refused our key, say), the message is dropped; the broker
    /// reclaims such tasks and the pool registers again once heard.
    func send(_ message: PoolToBroker) throws {
        guard !isReconnecting else { return }
        try socket.send(message.encoded, dontWait: true)
    }

    /// Call for every message from the broker: any message is a heartbeat.
    func heard() {
        lastHeard = .now
        backoff = .milliseconds(250)
    }

    /// When the link next needs attention (a beat, a liveness check, a reconnect).
    func nextDeadline() -> ContinuousClock.Instant {
        min(reconnectAt ?? nextBeat, nextBeat, lastHeard + silenceLimit)
    }

    /// What `service` did to the connection.
    enum Change {
        case none
        /// The socket was closed; nothing can be received until the link reconnects.
        case disconnected
        /// A fresh socket is up: the pool must register again.
        case reconnected
    }

    /// Sends a heartbeat when due; drops the socket when the broker has been silent too long;
    /// opens a fresh one when the backoff has passed.
    func service(vitals: () -> [UInt8]) throws -> Change {
        let now = ContinuousClock.now
        if movingOn, !isReconnecting {
            movingOn = false
            logger.info("the broker is not active: trying the next one", metadata: ["pool.id": "\(routingID)", "zmq.endpoint": "\(endpoint)"])
            return dropSocket(now, at: current + 1 == endpoints.count ? backoff : .zero)
        }
        if let due = reconnectAt {
            guard now >= due else { return .none }
            (socket, handshakes) = try Socket.watchedBrokerDealer(context, endpoint: endpoint, routingID: routingID, curve: curve)
            reconnectAt = nil
            lastHeard = now
            nextBeat = now
            logger.info("reconnected to the broker on a fresh socket", metadata: ["pool.id": "\(routingID)", "zmq.endpoint": "\(endpoint)"])
            return .reconnected
        }
        // A broker that just accepted the connection (one restarting, say) gets the whole limit
        // to answer, and a message that came after the poll returned is read on the next pass.
        if now - lastHeard > silenceLimit, try handshakes.completedHandshake() || socket.hasIncoming {
            lastHeard = now
        }
        if now - lastHeard > silenceLimit {
            logger.info("broker silent: reconnecting", metadata: ["pool.id": "\(routingID)", "zmq.endpoint": "\(endpoint)", "retry_in": "\(backoff)"])
            if !refusalLogged, let reason = handshakes.failure() {
                logger.info("the broker refuses this pool's connection; it will not register until that is fixed", metadata: ["pool.id": "\(routingID)", "zmq.endpoint": "\(endpoint)", "security.reason": "\(reason)"])
                refusalLogged = true
            }
            return dropSocket(now)
        }
        if now >= nextBeat {
            try send(.heartbeat(vitals: vitals()))
            nextBeat = now + interval
        }
        return .none
    }

    /// The broker reached is not its pair's active: at the next `service`, the next one is tried
    /// at once (after a backoff once every one has refused).
    func moveOn() {
        guard endpoints.count > 1 else { return }
        movingOn = true
    }

    /// Closes the socket; the next is opened to the next endpoint after `delay` (the backoff unless given).
    private func dropSocket(_ now: ContinuousClock.Instant, at delay: Duration? = nil) -> Change {
        handshakes.close()
        socket.close()
        reconnectAt = now + (delay ?? backoff)
        if delay != .zero { backoff = min(backoff * 2, .seconds(5)) }
        current = (current + 1) % endpoints.count
        return .disconnected
    }

    func close() {
        handshakes.close()
        socket.close()
    }
}
