internal import CZeroMQ

/// A socket option whose value is an integer.
public struct IntOption: Hashable, Sendable {
    let rawValue: Int32

    /// Milliseconds pending messages are kept after `close()`; always set explicitly.
    public static let linger = IntOption(rawValue: ZMQ_LINGER)
    /// Outbound high-water mark in messages; 0 means unlimited.
    public static let sendHighWaterMark = IntOption(rawValue: ZMQ_SNDHWM)
    /// Inbound high-water mark in messages; 0 means unlimited.
    public static let receiveHighWaterMark = IntOption(rawValue: ZMQ_RCVHWM)
    /// The kernel's receive buffer in bytes (`SO_RCVBUF`); set, it stops the kernel growing the
    /// buffer on its own. 0 keeps the system's default.
    public static let receiveBuffer = IntOption(rawValue: ZMQ_RCVBUF)
    /// ROUTER: report unroutable messages as `.hostUnreachable` instead of dropping them.
    public static let routerMandatory = IntOption(rawValue: ZMQ_ROUTER_MANDATORY)
    /// ROUTER: a new peer with an identity already in use takes it over.
    public static let routerHandover = IntOption(rawValue: ZMQ_ROUTER_HANDOVER)
    /// Milliseconds between ZMTP heartbeat PINGs; 0 disables them.
    public static let heartbeatInterval = IntOption(rawValue: ZMQ_HEARTBEAT_IVL)
    /// Milliseconds to wait for a PONG before the connection is considered dead.
    public static let heartbeatTimeout = IntOption(rawValue: ZMQ_HEARTBEAT_TIMEOUT)
    /// Milliseconds the remote peer should wait for traffic before considering us dead.
    public static let heartbeatTTL = IntOption(rawValue: ZMQ_HEARTBEAT_TTL)
    /// Queue messages only to completed connections.
    public static let immediate = IntOption(rawValue: ZMQ_IMMEDIATE)
    /// Milliseconds before the first reconnection attempt.
    public static let reconnectInterval = IntOption(rawValue: ZMQ_RECONNECT_IVL)
    /// Upper bound in milliseconds of the exponential reconnection backoff.
    public static let reconnectIntervalMax = IntOption(rawValue: ZMQ_RECONNECT_IVL_MAX)
    /// Milliseconds a blocking send waits before failing with `.again`; -1 waits forever.
    public static let sendTimeout = IntOption(rawValue: ZMQ_SNDTIMEO)
    /// Milliseconds a blocking receive waits before failing with `.again`; -1 waits forever.
    public static let receiveTimeout = IntOption(rawValue: ZMQ_RCVTIMEO)
    /// CURVE: act as the server side of the handshake.
    public static let curveServer = IntOption(rawValue: ZMQ_CURVE_SERVER)
    /// XPUB: pass every subscription message up, not only new ones.
    public static let xpubVerbose = IntOption(rawValue: ZMQ_XPUB_VERBOSE)
    /// Enable IPv6 on the socket.
    public static let ipv6 = IntOption(rawValue: ZMQ_IPV6)
    /// Readable/writable event flags of the socket (read-only).
    public static let events = IntOption(rawValue: ZMQ_EVENTS)
    /// A file descriptor that turns readable when the socket's state may have changed (read-only;
    /// `ManySocketPoller` waits on it).
    static let fileDescriptor = IntOption(rawValue: ZMQ_FD)
}

/// A socket option whose value is a 64-bit integer.
public struct Int64Option: Hashable, Sendable {
    let rawValue: Int32

    /// Largest inbound frame in bytes; a peer that sends a larger one is disconnected. -1 is unlimited.
    public static let maxMessageSize = Int64Option(rawValue: ZMQ_MAXMSGSIZE)
}

/// A socket option whose value is a byte string.
public struct BytesOption: Hashable, Sendable {
    let rawValue: Int32

    /// The identity a ROUTER peer sees for this socket.
    public static let routingID = BytesOption(rawValue: ZMQ_ROUTING_ID)
    /// SUB: add a topic prefix subscription.
    public static let subscribe = BytesOption(rawValue: ZMQ_SUBSCRIBE)
    /// SUB: remove a topic prefix subscription.
    public static let unsubscribe = BytesOption(rawValue: ZMQ_UNSUBSCRIBE)
    /// CURVE: this socket's long-term public key (32 bytes or 40 Z85 characters).
    public static let curvePublicKey = BytesOption(rawValue: ZMQ_CURVE_PUBLICKEY)
    /// CURVE: this socket's long-term secret key.
    public static let curveSecretKey = BytesOption(rawValue: ZMQ_CURVE_SECRETKEY)
    /// CURVE client: the server's public key.
    public static let curveServerKey = BytesOption(rawValue: ZMQ_CURVE_SERVERKEY)
    /// The ZAP domain the socket authenticates in.
    public static let zapDomain = BytesOption(rawValue: ZMQ_ZAP_DOMAIN)
    /// The endpoint last bound, with the port the OS chose for `tcp://…:*` (read-only).
    public static let lastEndpoint = BytesOption(rawValue: ZMQ_LAST_ENDPOINT)
}
