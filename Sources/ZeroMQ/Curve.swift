internal import CZeroMQ

/// A CURVE key pair, both keys in Z85 text (40 characters each).
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new random key pair (libzmq with libsodium).
    public static func generate() throws -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41), secretKey = [CChar](repeating: 0, count: 41)
        _ = try zmqCall { zmq_curve_keypair(&publicKey, &secretKey) }
        return CurveKeyPair(publicKey: String(cString: publicKey), secretKey: String(cString: secretKey))
    }

    /// The key pair whose secret key is `secretKey`, or `nil` if it is not a valid Z85 key.
    public init?(secretKey: String) {
        guard isValidCurveKey(secretKey) else { return nil }
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { return nil }
        self.init(publicKey: String(cString: publicKey), secretKey: secretKey)
    }
}

/// Whether `key` is a 40-character Z85 encoding of a 32-byte CURVE key.
public func isValidCurveKey(_ key: String) -> Bool {
    guard key.utf8.count == 40 else { return false }
    var decoded = [UInt8](repeating: 0, count: 32)
    return zmq_z85_decode(&decoded, key) != nil
}

/// A short, printable fingerprint of a public key for logs: its first 8 Z85 characters.
public func curveFingerprint(_ publicKey: String) -> String {
    String(publicKey.prefix(8))
}

/// The Z85 text of a raw 32-byte key (as ZAP hands it over).
public func z85Encode(_ key: [UInt8]) -> String? {
    guard key.count == 32 else { return nil }
    var text = [CChar](repeating: 0, count: 41)
    guard zmq_z85_encode(&text, key, key.count) != nil else { return nil }
    return String(cString: text)
}

extension Socket {
    /// Makes this socket a CURVE server with `secretKey`, authenticating peers in ZAP `domain`.
    public func becomeCurveServer(secretKey: String, zapDomain domain: String) throws {
        try set(.curveServer, 1)
        try set(.curveSecretKey, secretKey)
        try set(.zapDomain, domain)
    }

    /// Makes this socket a CURVE client with `keys`, trusting the server whose public key is `serverKey`.
    public func becomeCurveClient(_ keys: CurveKeyPair, serverKey: String) throws {
        try set(.curveServerKey, serverKey)
        try set(.curvePublicKey, keys.publicKey)
        try set(.curveSecretKey, keys.secretKey)
    }

    /// Publishes this socket's handshake failures (and, with `successes`, its completed
    /// handshakes) on a PAIR socket at `endpoint` (`inproc://…`), for counting peers that failed
    /// to authenticate or telling why a peer never answers. Read them with `SocketMonitorEvent`.
    public func monitorHandshakeFailures(at endpoint: String, successes: Bool = false) throws {
        let handle = try open()
        let failures = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        _ = try zmqCall { zmq_socket_monitor(handle, endpoint, failures | (successes ? ZMQ_EVENT_HANDSHAKE_SUCCEEDED : 0)) }
    }
}

/// One event from a socket monitor.
public struct SocketMonitorEvent: Sendable {
    public enum Kind: Sendable {
        /// The peer spoke another security mechanism (a client with no CURVE keys, say) or broke the protocol.
        case handshakeFailedProtocol
        /// ZAP refused the peer's credentials.
        case handshakeFailedAuthentication
        case handshakeFailedOther
        /// The handshake completed (only with `monitorHandshakeFailures(at:successes: true)`).
        case handshakeSucceeded
    }

    public let kind: Kind
    /// The event's value (for protocol failures, libzmq's protocol error code).
    public let value: UInt32
    /// The endpoint the event concerns.
    public let endpoint: String

    /// Decodes the two frames a monitor socket delivers per event.
    public init?(frames: [[UInt8]]) {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let id = Int32(UInt16(frames[0][0]) | UInt16(frames[0][1]) << 8)
        value = frames[0][2...5].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        endpoint = String(decoding: frames[1], as: UTF8.self)
        switch id {
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: kind = .handshakeFailedProtocol
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: kind = .handshakeFailedAuthentication
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: kind = .handshakeSucceeded
        default: kind = .handshakeFailedOther
        }
    }
}
