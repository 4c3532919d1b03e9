import Foundation
import Logging
import MahavishnuCore
import ZeroMQ

/// The socket side of a `BrokerClient`: a DEALER owned by a `SocketLoop`, fed through its
/// mailbox and answering through continuations.
final class ClientConnection: Sendable {
    /// A reply the broker sent for one request.
    enum Reply: Sendable {
        case result(attempts: Int, body: [UInt8])
        case reply(body: [UInt8])
    }

    private let loop: SocketLoop<ClientRequests.Command>

    /// Connects in the background, on the connection's own thread.
    init(endpoints: [String], failoverAfter: Duration, curve: ClientCurveKeys?, logger: Logger) throws {
        loop = SocketLoop(name: "mahavishnu.client", handler: try ClientRequests(endpoints: endpoints, failoverAfter: failoverAfter, curve: curve, logger: logger))
        loop.start()
    }

    /// Sends a request and waits for its reply; with `resendEvery`, sends it again until one
    /// arrives. A streaming task's partial outputs go to `onPartial`, on the connection's thread.
    func request(_ message: ProducerToBroker, reference: String, timeout: Duration?, resendEvery: Duration? = nil,
                 onPartial: (@Sendable (TaskPartial) -> Void)? = nil) async throws -> Reply {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outgoing = ClientRequests.Outgoing(
                    reference: reference, message: message.encoded, deadline: timeout.map { .now + $0 }, timeout: timeout,
                    resendEvery: resendEvery, continuation: continuation, onPartial: onPartial, nextResend: nil
                )
                if loop.post(.send(outgoing)) != .accepted { continuation.resume(throwing: BrokerClientError.closed) }
            }
        } onCancel: {
            loop.post(.cancel(reference))
        }
    }

    /// Fails every pending request with `.closed`, closes the socket and waits for the thread.
    func close() {
        loop.stop()
        try? loop.join()
    }
}

/// The requests a `ClientConnection`'s thread has sent and awaits replies for, and its socket.
private final class ClientRequests: SocketLoopHandler {
    struct Outgoing {
        let reference: String
        let message: WireMessage
        let deadline: ContinuousClock.Instant?
        let timeout: Duration?
        /// Send the request again this often until a reply comes (idempotent requests only).
        let resendEvery: Duration?
        let continuation: CheckedContinuation<ClientConnection.Reply, any Error>
        let onPartial: (@Sendable (TaskPartial) -> Void)?
        /// When it goes again, once sent.
        var nextResend: ContinuousClock.Instant?
    }

    enum Command: Sendable {
        case send(Outgoing)
        case cancel(String)
    }

    private let endpoints: [String]
    private var current = 0
    private var endpoint: String { endpoints[current] }
    private let failoverAfter: Duration
    private let curve: ClientCurveKeys?
    private let logger: Logger
    private let context: Context
    private var socket: Socket
    /// The DEALER's handshakes: why the broker does not answer, when it refuses this client.
    private var handshakes: HandshakeWatch
    private let frames = Frames(capacity: 8)
    private var pending: [String: Outgoing] = [:]
    private var reactor: SocketReactor?
    /// When the broker last sent anything.
    private var lastHeard = ContinuousClock.now
    /// When the silent broker was last asked `info`.
    private var probedAt: ContinuousClock.Instant?
    /// No second move within a moment of one (both brokers of a pair may refuse while they settle).
    private var movedAt: ContinuousClock.Instant?

    /// The request id of the `info` probes that tell a silent broker from a busy one.
    private static let probeID = "mahavishnu.client.probe"

    init(endpoints: [String], failoverAfter: Duration, curve: ClientCurveKeys?, logger: Logger) throws {
        self.endpoints = endpoints
        self.failoverAfter = failoverAfter
        self.curve = curve
        self.logger = logger
        context = try Context()
        (socket, handshakes) = try Socket.watchedBrokerDealer(context, endpoint: endpoints[0], curve: curve)
    }

    func start(_ reactor: SocketReactor) {
        self.reactor = reactor
        watch()
    }

    private func watch() {
        reactor?.onReadable(socket) { [unowned self] in
            let watched = socket
            // A move closes this socket: what it still holds is sent again to the next broker.
            while !watched.isClosed, try watched.receive(into: frames, dontWait: true) { try deliver(frames) }
        }
    }

    /// Whether the client can move to another broker.
    private var failsOver: Bool { endpoints.count > 1 }

    /// Moves to the next broker and sends it every unanswered request.
    private func moveOn(because reason: String) throws {
        let now = ContinuousClock.now
        if let movedAt, now - movedAt < .milliseconds(250) { return }
        reactor?.stopWatching(socket)
        handshakes.close()
        socket.close()
        let from = endpoint
        current = (current + 1) % endpoints.count
        (socket, handshakes) = try Socket.watchedBrokerDealer(context, endpoint: endpoint, curve: curve)
        watch()
        (movedAt, lastHeard, probedAt) = (now, now, nil)
        logger.info("moving to the next broker", metadata: ["zmq.from": "\(from)", "zmq.endpoint": "\(endpoint)", "reason": "\(reason)", "client.unanswered": "\(pending.count)"])
        for (reference, request) in pending {
            try socket.send(request.message, dontWait: true)
            pending[reference]!.nextResend = request.resendEvery.map { now + $0 }
        }
    }

    /// While requests wait: asks a broker silent for a third of `failoverAfter` for `info`, and
    /// moves on from one silent for all of it.
    private func watchSilence() throws {
        guard failsOver, !pending.isEmpty else { return }
        let now = ContinuousClock.now
        if now - lastHeard > failoverAfter { return try moveOn(because: "silent for \(failoverAfter)") }
        guard now - lastHeard > failoverAfter / 3, probedAt.map({ now - $0 > failoverAfter / 3 }) ?? true else { return }
        probedAt = now
        let probe = ProducerToBroker.control(requestID: Array(Self.probeID.utf8), command: .info, arguments: Array("{}".utf8))
        try socket.send(probe.encoded, dontWait: true)
    }

    func handle(_ commands: [Command]) throws {
        for command in commands { try perform(command) }
    }

    func beforeWait() throws {
        expireOverdue()
        try resendUnanswered()
        try watchSilence()
    }

    var nextDeadline: ContinuousClock.Instant? {
        let request = pending.values.lazy.flatMap { [$0.deadline, $0.nextResend].compactMap { $0 } }.min()
        guard failsOver, !pending.isEmpty else { return request }
        let watch = max(lastHeard, probedAt ?? lastHeard) + failoverAfter / 3
        return min(request ?? watch, watch)
    }

    func finish(after error: (any Error)?) {
        if let error { logger.error("client socket failed", metadata: ["zmq.endpoint": "\(endpoint)", "error": "\(error)"]) }
        for (_, request) in pending { request.continuation.resume(throwing: BrokerClientError.closed) }
        pending.removeAll()
        handshakes.close()
        socket.close()
    }

    private func perform(_ command: Command) throws {
        switch command {
        case .send(let outgoing):
            if let previous = pending.removeValue(forKey: outgoing.reference) {
                previous.continuation.resume(throwing: BrokerClientError.protocolViolation("request \(outgoing.reference) was sent again before its reply"))
            }
            if pending.isEmpty { (lastHeard, probedAt) = (.now, nil) }   // silence counts only while something waits
            var request = outgoing
            request.nextResend = outgoing.resendEvery.map { .now + $0 }
            pending[outgoing.reference] = request
            // Never block the socket thread: a request the broker cannot take yet goes again at its next resend.
            try socket.send(outgoing.message, dontWait: true)
        case .cancel(let reference):
            pending.removeValue(forKey: reference)?.continuation.resume(throwing: CancellationError())
        }
    }

    private func deliver(_ frames: Frames) throws {
        lastHeard = .now
        let message: BrokerToProducer
        do {
            message = try BrokerToProducer(frames: frames, first: 0)
        } catch {
            logger.info("ignoring a malformed broker reply", metadata: ["zmq.endpoint": "\(endpoint)", "error.message": "\(error.message)"])
            if let request = pending.removeValue(forKey: String(decoding: error.reference, as: UTF8.self)) {
                request.continuation.resume(throwing: BrokerClientError.protocolViolation(error.message))
            }
            return
        }
        let reference = String(decoding: message.reference, as: UTF8.self)
        if case .partial(_, let attempt, let sequence, let body) = message {
            pending[reference]?.onPartial?(TaskPartial(attempt: attempt, sequence: sequence, body: body.bytes))
            return
        }
        if failsOver, case .error(_, let code, let text) = message, code == ErrorCode.notActive.rawValue {
            // Not this pair's active broker: the request stays, and goes to the other broker.
            return try moveOn(because: text)
        }
        guard let request = pending.removeValue(forKey: reference) else { return }
        switch message {
        case .partial:
            break
        case .result(_, let attempts, let body):
            request.continuation.resume(returning: .result(attempts: attempts, body: body.bytes))
        case .reply(_, let body):
            request.continuation.resume(returning: .reply(body: body))
        case .error(_, let code, let text):
            request.continuation.resume(throwing: BrokerClientError.refused(code: code, message: text))
        }
    }

    /// Sends again the requests whose reply is late: a broker that restarted lost them. The
    /// broker recognises a task id it already has, so a resend never runs a task twice at once.
    private func resendUnanswered() throws {
        let now = ContinuousClock.now
        for (reference, request) in pending {
            guard let due = request.nextResend, due <= now, let every = request.resendEvery else { continue }
            try socket.send(request.message, dontWait: true)
            pending[reference]!.nextResend = now + every
        }
    }

    /// Fails the requests past their deadline: `handshakeFailed` when the broker refused this
    /// client's security, else `noBroker`.
    private func expireOverdue() {
        let now = ContinuousClock.now
        var refusal: String??
        for (reference, request) in pending {
            guard let deadline = request.deadline, deadline <= now else { continue }
            pending[reference] = nil
            if refusal == nil { refusal = .some(handshakes.failure()) }
            if let reason = refusal! {
                request.continuation.resume(throwing: BrokerClientError.handshakeFailed(endpoint: endpoint, reason: reason))
            } else {
                request.continuation.resume(throwing: BrokerClientError.noBroker(endpoint: endpoint, after: request.timeout ?? .zero))
            }
        }
    }
}
