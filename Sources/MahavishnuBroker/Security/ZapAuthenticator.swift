import Foundation
import Logging
import MahavishnuCore
import Synchronization
import ZeroMQ

/// The broker's ZAP handler: admits a CURVE public key only on the sockets of its role
/// (producers and admins on the frontend, pools on the backend) and counts every refusal.
///
/// It runs on its own thread, owning the ZAP socket and the monitors that report peers that
/// failed the handshake before ZAP was asked (a client with no keys, or the wrong broker key).
/// The allow-list is re-read by `reload()` (SIGHUP); connections already admitted stay up.
final class ZapAuthenticator: @unchecked Sendable {
    /// The ZAP domain of each server socket, and the roles it admits.
    enum Domain: String, CaseIterable {
        case frontend, backend, bus

        var admits: Set<CurveRole> {
            switch self {
            case .frontend: [.producer, .admin]
            case .backend: [.pool]
            case .bus: Set(CurveRole.allCases)
            }
        }
    }

    private let allowListFile: String
    private let allowList: Mutex<AllowList>
    /// Keys the broker made itself (for the pools it starts), kept across reloads.
    private let ownKeys: [String: CurveRole]
    private let logger: Logger
    private let handler: Socket
    private var monitors: [Socket] = []
    private let wakeup = Wakeup()
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    let refusals = AuthRefusalCounters()

    /// Binds the ZAP endpoint in `context`; call before the server sockets bind.
    init(context: Context, allowListFile: String, ownKeys: [String: CurveRole], logger: Logger) throws {
        var list = try AllowList.load(file: allowListFile)
        for (key, role) in ownKeys { list.allow(key, as: role) }
        self.allowListFile = allowListFile
        allowList = Mutex(list)
        self.ownKeys = ownKeys
        self.logger = logger
        handler = try Socket(context, type: .rep, linger: 0)
        do {
            try handler.bind("inproc://zeromq.zap.01")
        } catch {
            handler.close()
            throw error
        }
    }

    /// Watches `socket`'s failed handshakes; call once per server socket, before `start()`.
    func monitor(_ socket: Socket, name: String) throws {
        let endpoint = "inproc://mahavishnu.monitor.\(name)"
        try socket.monitorHandshakeFailures(at: endpoint)
        let listener = try Socket(socket.context, type: .pair, linger: 0)
        try listener.connect(endpoint)
        monitors.append(listener)
    }

    /// Starts answering ZAP requests on a dedicated thread.
    func start() {
        let thread = Thread { [self] in
            serve()
            finished.signal()
        }
        thread.name = "mahavishnu.zap"
        thread.start()
    }

    /// Closes the sockets of a handler that was never started (the broker failed to start).
    func discard() {
        handler.close()
        for monitor in monitors { monitor.close() }
    }

    /// Stops the thread and closes its sockets.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        wakeup.signal()
        finished.wait()
    }

    /// Re-reads the allow-list file: added keys are admitted and revoked keys refused from the
    /// next handshake on. A file with an error is reported and the current list kept.
    func reload() throws(ConfigurationError) {
        var list = try AllowList.load(file: allowListFile)
        for (key, role) in ownKeys { list.allow(key, as: role) }
        allowList.withLock { $0 = list }
        logger.info("allow-list reloaded", metadata: ["security.allow_list": "\(allowListFile)", "security.keys": "\(list.counts.map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(separator: ","))"])
    }

    private func serve() {
        defer {
            handler.close()
            for monitor in monitors { monitor.close() }
        }
        let poller = Poller()
        poller.addReadable(handler)
        for monitor in monitors { poller.addReadable(monitor) }
        poller.addReadable(fileDescriptor: wakeup.fileDescriptor)
        do {
            while !stopRequested.load(ordering: .acquiring) {
                try poller.poll(until: nil)
                if poller.isReadable(0), let request = try handler.receiveMultipart(dontWait: true) {
                    try handler.send(multipart: answer(request))
                }
                for (index, monitor) in monitors.enumerated() where poller.isReadable(index + 1) {
                    while let frames = try monitor.receiveMultipart(dontWait: true) {
                        if let event = SocketMonitorEvent(frames: frames) { record(event) }
                    }
                }
                if poller.isReadable(poller.count - 1) { wakeup.drain() }
            }
        } catch {
            logger.error("ZAP handler failed", metadata: ["error": "\(error)"])
        }
    }

    /// The ZAP reply to one request (RFC 27): 200 with the role as user id, or 400 with why.
    private func answer(_ request: [[UInt8]]) -> [[UInt8]] {
        func reply(_ code: String, _ text: String, userID: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), request.count > 1 ? request[1] : [], Array(code.utf8), Array(text.utf8), Array(userID.utf8), []]
        }
        guard request.count >= 7, String(decoding: request[0], as: UTF8.self) == "1.0" else {
            return reply("500", "malformed ZAP request")
        }
        let domain = Domain(rawValue: String(decoding: request[2], as: UTF8.self))
        let address = String(decoding: request[3], as: UTF8.self)
        guard String(decoding: request[5], as: UTF8.self) == "CURVE", let key = z85Encode(request[6]) else {
            refusals.noKey.add(1, ordering: .relaxed)
            logger.info("connection refused: no CURVE key", metadata: ["peer.address": "\(address)"])
            return reply("400", "CURVE required")
        }
        let fingerprint = curveFingerprint(key)
        guard let role = allowList.withLock({ $0.role(of: key) }) else {
            refusals.unknownKey.add(1, ordering: .relaxed)
            logger.info("connection refused: unknown key", metadata: ["peer.address": "\(address)", "peer.key": "\(fingerprint)", "zap.domain": "\(domain?.rawValue ?? "?")"])
            return reply("400", "unknown key")
        }
        guard let domain, domain.admits.contains(role) else {
            refusals.wrongRole.add(1, ordering: .relaxed)
            logger.info("connection refused: key not allowed on this socket", metadata: ["peer.address": "\(address)", "peer.key": "\(fingerprint)", "peer.role": "\(role.rawValue)", "zap.domain": "\(domain?.rawValue ?? "?")"])
            return reply("400", "role \(role.rawValue) is not allowed here")
        }
        return reply("200", "OK", userID: "\(role.rawValue):\(fingerprint)")
    }

    /// Counts peers that failed before ZAP was consulted (authentication refusals are counted in `answer`).
    /// A keyless peer that reads the broker's greeting first and hangs up leaves only a failure
    /// with no detail: it is counted as a failed handshake.
    private func record(_ event: SocketMonitorEvent) {
        guard event.kind == .handshakeFailedProtocol || event.kind == .handshakeFailedOther else { return }
        if event.kind == .handshakeFailedOther {
            refusals.badHandshake.add(1, ordering: .relaxed)
            logger.info("connection refused: the peer hung up during the security handshake", metadata: ["zmq.endpoint": "\(event.endpoint)"])
        } else if event.value == HandshakeWatch.mechanismMismatch {
            refusals.noKey.add(1, ordering: .relaxed)
            logger.info("connection refused: the peer has no CURVE keys", metadata: ["zmq.endpoint": "\(event.endpoint)"])
        } else {
            refusals.badHandshake.add(1, ordering: .relaxed)
            logger.info("connection refused: CURVE handshake failed (wrong broker key?)", metadata: ["zmq.endpoint": "\(event.endpoint)", "zmq.protocol_error": "\(String(event.value, radix: 16))"])
        }
    }
}

/// Refused connections, by reason.
final class AuthRefusalCounters: Sendable {
    /// The peer had no CURVE keys (it spoke another mechanism).
    let noKey = Atomic<Int>(0)
    /// The key is in no role of the allow-list.
    let unknownKey = Atomic<Int>(0)
    /// The key's role is not allowed on that socket (a pool key on the frontend, say).
    let wrongRole = Atomic<Int>(0)
    /// The CURVE handshake failed (the client used the wrong broker key, say).
    let badHandshake = Atomic<Int>(0)
}
