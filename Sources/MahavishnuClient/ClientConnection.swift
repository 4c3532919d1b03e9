import Foundation
import Logging
import MahavishnuCore
import Synchronization
import ZeroMQ

/// The socket side of a `BrokerClient`: a DEALER owned by one thread, fed through a locked
/// outbox and answering through continuations.
final class ClientConnection: @unchecked Sendable {
    /// A reply the broker sent for one request.
    enum Reply: Sendable {
        case result(attempts: Int, body: [UInt8])
        case reply(body: [UInt8])
    }

    private struct Outgoing {
        let reference: String
        let message: WireMessage
        let deadline: ContinuousClock.Instant?
        let timeout: Duration?
        /// Send the request again this often until a reply comes (idempotent requests only).
        let resendEvery: Duration?
        let continuation: CheckedContinuation<Reply, any Error>
    }

    private enum Command {
        case send(Outgoing)
        case cancel(String)
    }

    private struct Pending {
        let continuation: CheckedContinuation<Reply, any Error>
        let deadline: ContinuousClock.Instant?
        let timeout: Duration?
        let message: WireMessage
        let resendEvery: Duration?
        var nextResend: ContinuousClock.Instant?
    }

    let endpoint: String
    private let logger: Logger
    private let context: Context
    private let socket: Socket
    /// The DEALER's handshakes: why the broker does not answer, when it refuses this client.
    private let handshakes: HandshakeWatch
    private let wakeup = Wakeup()
    private let outbox = Mutex<(commands: [Command], stopped: Bool)>(([], false))
    /// Requests sent and awaiting a reply; touched only by the socket thread.
    private var pending: [String: Pending] = [:]

    init(endpoint: String, curve: ClientCurveKeys?, logger: Logger) throws {
        self.endpoint = endpoint
        self.logger = logger
        context = try Context()
        (socket, handshakes) = try Socket.watchedBrokerDealer(context, endpoint: endpoint, curve: curve)
    }

    /// Sends a request and waits for its reply; with `resendEvery`, sends it again until one arrives.
    func request(_ message: ProducerToBroker, reference: String, timeout: Duration?, resendEvery: Duration? = nil) async throws -> Reply {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outgoing = Outgoing(
                    reference: reference, message: message.encoded, deadline: timeout.map { .now + $0 }, timeout: timeout,
                    resendEvery: resendEvery, continuation: continuation
                )
                let accepted = outbox.withLock { state in
                    guard !state.stopped else { return false }
                    state.commands.append(.send(outgoing))
                    return true
                }
                if accepted { wakeup.signal() } else { continuation.resume(throwing: BrokerClientError.closed) }
            }
        } onCancel: {
            outbox.withLock { $0.commands.append(.cancel(reference)) }
            wakeup.signal()
        }
    }

    func requestStop() {
        outbox.withLock { $0.stopped = true }
        wakeup.signal()
    }

    /// The socket thread's loop.
    func run() {
        defer {
            handshakes.close()
            socket.close()
        }
        let frames = Frames(capacity: 8)
        let poller = Poller()
        let socketItem = poller.addReadable(socket)
        poller.addReadable(fileDescriptor: wakeup.fileDescriptor)
        do {
            while true {
                let (commands, stopped) = outbox.withLock { state in
                    defer { state.commands.removeAll(keepingCapacity: true) }
                    return (state.commands, state.stopped)
                }
                if stopped {
                    for command in commands { if case .send(let outgoing) = command { outgoing.continuation.resume(throwing: BrokerClientError.closed) } }
                    break
                }
                for command in commands { try perform(command) }
                try poller.poll(until: pending.values.flatMap { [$0.deadline, $0.nextResend].compactMap { $0 } }.min())
                wakeup.drain()
                if poller.isReadable(socketItem) {
                    while try socket.receive(into: frames, dontWait: true) { deliver(frames) }
                }
                expireOverdue()
                try resendUnanswered()
            }
        } catch {
            logger.error("client socket failed", metadata: ["zmq.endpoint": "\(endpoint)", "error": "\(error)"])
        }
        for (_, request) in pending { request.continuation.resume(throwing: BrokerClientError.closed) }
        pending.removeAll()
    }

    private func perform(_ command: Command) throws {
        switch command {
        case .send(let outgoing):
            if let previous = pending.removeValue(forKey: outgoing.reference) {
                previous.continuation.resume(throwing: BrokerClientError.protocolViolation("request \(outgoing.reference) was sent again before its reply"))
            }
            pending[outgoing.reference] = Pending(
                continuation: outgoing.continuation, deadline: outgoing.deadline, timeout: outgoing.timeout,
                message: outgoing.message, resendEvery: outgoing.resendEvery, nextResend: outgoing.resendEvery.map { .now + $0 }
            )
            // Never block the socket thread: a request the broker cannot take yet goes again at its next resend.
            try socket.send(outgoing.message, dontWait: true)
        case .cancel(let reference):
            pending.removeValue(forKey: reference)?.continuation.resume(throwing: CancellationError())
        }
    }

    private func deliver(_ frames: Frames) {
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
        guard let request = pending.removeValue(forKey: String(decoding: message.reference, as: UTF8.self)) else { return }
        switch message {
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
