import Foundation
import ZeroMQ

/// A raw ZeroMQ socket for speaking (and mis-speaking) the wire protocol in tests.
///
/// Its socket lives on a dedicated thread for the length of one `session`, never on Swift's
/// cooperative pool.
final class RawPeer {
    let socket: Socket

    private init(socket: Socket) { self.socket = socket }

    func send(_ frames: [[UInt8]]) throws { try socket.send(multipart: frames) }

    func send(_ frames: [String]) throws { try send(frames.map { Array($0.utf8) }) }

    /// The next message, or a failure after `timeoutMilliseconds`.
    func receive(timeoutMilliseconds: Int32 = 10_000) throws -> [[UInt8]] {
        try socket.set(.receiveTimeout, timeoutMilliseconds)
        guard let message = try socket.receiveMultipart() else { throw TestFailure("no reply within \(timeoutMilliseconds) ms") }
        return message
    }

    /// The next message as UTF-8 strings.
    func receiveStrings() throws -> [String] {
        try receive().map { String(decoding: $0, as: UTF8.self) }
    }

    /// The next message that is not a broker `HEARTBEAT`, as UTF-8 strings: what a registered
    /// pool waits for, with the broker beating on the same socket.
    func receiveSkippingHeartbeats() throws -> [String] {
        while true {
            let message = try receiveStrings()
            if message != ["MHV1", "HEARTBEAT"] { return message }
        }
    }

    /// Connects a `type` socket to `endpoint` (with `routingID` and `options` if given) and runs
    /// `body` on a dedicated thread.
    static func session<T: Sendable>(
        _ endpoint: String, type: SocketType = .dealer, routingID: String? = nil, options: [(IntOption, Int32)] = [],
        _ body: @escaping @Sendable (RawPeer) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    let context = try Context()
                    let socket = try Socket(context, type: type, linger: 0)
                    defer { socket.close() }
                    if let routingID { try socket.set(.routingID, routingID) }
                    for (option, value) in options { try socket.set(option, value) }
                    try socket.connect(endpoint)
                    return try body(RawPeer(socket: socket))
                })
            }.start()
        }
    }

    /// Sends one message and returns the reply.
    static func exchange(_ frames: [[UInt8]], with endpoint: String, type: SocketType = .dealer) async throws -> [[UInt8]] {
        try await session(endpoint, type: type) { peer in
            try peer.send(frames)
            return try peer.receive()
        }
    }
}
