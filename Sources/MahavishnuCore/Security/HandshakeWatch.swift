import Synchronization
import ZeroMQ

/// Watches a DEALER's security handshakes with the broker, to tell a broker that is not there
/// from one that refuses this peer: no keys where the broker requires CURVE, a key its
/// allow-list does not admit, a wrong broker key.
///
/// - Important: owned by the thread that owns the watched socket; read it only when the broker
///   has not answered (it costs a few non-blocking receives), and close it with the socket.
public final class HandshakeWatch {
    private let listener: Socket
    private let usesCurve: Bool
    /// The latest handshake event read so far.
    private var latest: SocketMonitorEvent?
    /// Whether a handshake completed since `completedHandshake()` last said so.
    private var completedSinceAsked = false

    private static let counter = Atomic<Int>(0)

    /// Starts watching `dealer` (before it connects); `usesCurve` says whether it has CURVE keys.
    init(watching dealer: Socket, usesCurve: Bool) throws {
        let endpoint = "inproc://mahavishnu.handshakes.\(Self.counter.add(1, ordering: .relaxed).newValue)"
        try dealer.monitorHandshakeFailures(at: endpoint, successes: true)
        listener = try Socket(dealer.context, type: .pair, linger: 0)
        do {
            try listener.connect(endpoint)
        } catch {
            listener.close()
            throw error
        }
        self.usesCurve = usesCurve
    }

    /// Why the latest handshake failed, as a sentence saying what to do; `nil` when none has
    /// failed, or the latest completed (a broker that answers nothing is then simply down or busy).
    public func failure() -> String? {
        readEvents()
        guard let latest else { return nil }
        switch latest.kind {
        case .handshakeSucceeded:
            return nil
        case .handshakeFailedProtocol where latest.value == Self.mechanismMismatch:
            return usesCurve
                ? "this connection has CURVE keys and the broker runs without them; connect without --keys (and without client_keys_dir)"
                : Self.keysRequired
        case .handshakeFailedOther where !usesCurve:
            // A keyless (NULL) handshake fails only against a broker that requires CURVE; when the
            // broker drops the connection first, libzmq reports it with no detail.
            return Self.keysRequired
        case .handshakeFailedAuthentication:
            return "the broker refused this connection's CURVE key (ZAP status \(latest.value)): its allow-list does not admit the key in the role needed; check --keys DIR, or have the key added to the allow-list"
        case .handshakeFailedProtocol, .handshakeFailedOther:
            return "the security handshake failed (\(latest.kind == .handshakeFailedOther ? "no detail" : "protocol error 0x\(String(latest.value, radix: 16))")); check --keys DIR and that its broker.public is this broker's public key"
        }
    }

    /// Whether a handshake with the broker completed since the last call: the broker's side of
    /// the connection is up, though its answer to what was sent may still be on its way.
    public func completedHandshake() -> Bool {
        readEvents()
        defer { completedSinceAsked = false }
        return completedSinceAsked
    }

    private func readEvents() {
        while let frames = try? listener.receiveMultipart(dontWait: true) {
            guard let event = SocketMonitorEvent(frames: frames) else { continue }
            latest = event
            if event.kind == .handshakeSucceeded { completedSinceAsked = true }
        }
    }

    private static let keysRequired = "the broker requires CURVE and this connection has no keys; pass --keys DIR (or set client_keys_dir) with id.secret and the broker's broker.public"

    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`: the peers speak different security mechanisms.
    public static let mechanismMismatch: UInt32 = 0x1100_0002

    public func close() { listener.close() }
}
