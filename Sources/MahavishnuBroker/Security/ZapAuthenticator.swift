import Logging
import MahavishnuCore
import Synchronization
import ZeroMQ

/// The broker's ZAP handler: admits a CURVE public key only on the sockets of its role
/// (producers and admins on the frontend, pools on the backend) and counts every refusal.
///
/// Its `ZapServer` runs on a `SocketLoop` of its own; the allow-list is re-read by `reload()`
/// (SIGHUP), and connections already admitted stay up.
final class ZapAuthenticator: Sendable {
    /// The ZAP domain of each server socket, and the roles it admits.
    enum Domain: String, CaseIterable {
        case frontend, backend, bus, pair

        var admits: Set<CurveRole> {
            switch self {
            case .frontend: [.producer, .admin]
            case .backend: [.pool]
            case .bus: Set(CurveRole.allCases)
            case .pair: [.peer]
            }
        }
    }

    let refusals: AuthRefusalCounters
    private let allowList: LiveAllowList
    private let loop: SocketLoop<Never>

    /// Starts answering the handshakes of `server`, whose server sockets are all watched.
    init(serving server: sending ZapServer) {
        refusals = server.refusals
        allowList = server.allowList
        loop = SocketLoop(name: "mahavishnu.zap", handler: server)
        loop.start()
    }

    /// Re-reads the allow-list file: added keys are admitted and revoked keys refused from the
    /// next handshake on. A file with an error is reported and the current list kept.
    func reload() throws(ConfigurationError) {
        try allowList.reload()
    }

    /// Stops the thread and waits until it has closed its sockets.
    func stop() {
        loop.stop()
        try? loop.join()
    }
}

/// The allow-list file and what it said when last read, shared by the ZAP thread and `reload()`.
final class LiveAllowList: Sendable {
    private let file: String
    /// Keys the broker made itself (for the pools it starts), kept across reloads.
    private let ownKeys: [String: CurveRole]
    private let list: Mutex<AllowList>
    private let logger: Logger

    init(file: String, ownKeys: [String: CurveRole], logger: Logger) throws(ConfigurationError) {
        self.file = file
        self.ownKeys = ownKeys
        self.logger = logger
        list = Mutex(try Self.load(file, ownKeys))
    }

    func role(of key: String) -> CurveRole? { list.withLock { $0.role(of: key) } }

    func reload() throws(ConfigurationError) {
        let fresh = try Self.load(file, ownKeys)
        list.withLock { $0 = fresh }
        logger.info("allow-list reloaded", metadata: ["security.allow_list": "\(file)", "security.keys": "\(fresh.counts.map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(separator: ","))"])
    }

    private static func load(_ file: String, _ ownKeys: [String: CurveRole]) throws(ConfigurationError) -> AllowList {
        var list = try AllowList.load(file: file)
        for (key, role) in ownKeys { list.allow(key, as: role) }
        return list
    }
}

/// The ZAP thread's sockets: the ZAP endpoint, and the monitors that report peers that failed
/// the handshake before ZAP was asked (a client with no keys, or the wrong broker key).
final class ZapServer: SocketLoopHandler {
    typealias Command = Never

    let allowList: LiveAllowList
    let refusals = AuthRefusalCounters()
    private let logger: Logger
    private let context: Context
    /// The ZAP endpoint's REP socket: one request, one reply.
    private let requests: Socket
    private var monitors: [Socket] = []

    /// Binds the ZAP endpoint in `context`; build it before the server sockets bind, so that no
    /// handshake can pass unchecked.
    init(context: Context, allowList: LiveAllowList, logger: Logger) throws {
        self.allowList = allowList
        self.logger = logger
        self.context = context
        requests = try Socket(context, type: .rep, linger: 0)
        do {
            try requests.bind("inproc://zeromq.zap.01")
        } catch {
            requests.close()
            throw error
        }
    }

    /// Where the server socket called `name` reports its failed handshakes (`Socket.monitorHandshakeFailures(at:)`).
    static func monitorEndpoint(_ name: String) -> String { "inproc://mahavishnu.monitor.\(name)" }

    /// Counts the failed handshakes that the server socket called `name` reports; call once
    /// per server socket, after it was told to report them and before serving.
    func watchHandshakes(of name: String) throws {
        let listener = try Socket(context, type: .pair, linger: 0)
        monitors.append(listener)
        try listener.connect(Self.monitorEndpoint(name))
    }

    func start(_ reactor: SocketReactor) {
        reactor.onReadable(requests) { [unowned self] in
            while let request = try requests.receiveMultipart(dontWait: true) { try requests.send(multipart: answer(request)) }
        }
        for monitor in monitors {
            reactor.onReadable(monitor) { [unowned self] in
                while let frames = try monitor.receiveMultipart(dontWait: true) {
                    if let event = SocketMonitorEvent(frames: frames) { record(event) }
                }
            }
        }
    }

    func finish(after error: (any Error)?) {
        if let error { logger.error("ZAP handler failed", metadata: ["error": "\(error)"]) }
        close()
    }

    /// Closes its sockets (of a server that will never serve: the broker failed to start).
    func close() {
        requests.close()
        for monitor in monitors { monitor.close() }
    }

    /// The ZAP reply to one request (RFC 27): 200 with the role as user id, or 400 with why.
    private func answer(_ request: [[UInt8]]) -> [[UInt8]] {
        func reply(_ code: String, _ text: String, userID: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), request.count > 1 ? request[1] : [], Array(code.utf8), Array(text.utf8), Array(userID.utf8), []]
        }
        guard request.count >= 7, String(decoding: request[0], as: UTF8.self) == "1.0" else {
            return reply("500", "malformed ZAP request")
        }
        let domain = ZapAuthenticator.Domain(rawValue: String(decoding: request[2], as: UTF8.self))
        let address = String(decoding: request[3], as: UTF8.self)
        guard String(decoding: request[5], as: UTF8.self) == "CURVE", let key = z85Encode(request[6]) else {
            refusals.noKey.add(1, ordering: .relaxed)
            logger.info("connection refused: no CURVE key", metadata: ["peer.address": "\(address)"])
            return reply("400", "CURVE required")
        }
        let fingerprint = curveFingerprint(key)
        guard let role = allowList.role(of: key) else {
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
