internal import CZeroMQ

/// A libzmq socket with an explicit lifetime.
///
/// - Important: a socket is not thread-safe. Exactly one thread owns it: create, use and close
///   it there (or hand it over once, before use). Never call it from Swift's cooperative pool;
///   a dedicated thread owns it and talks to async code through continuations or `AsyncStream`.
public final class Socket {
    /// The socket's pattern.
    public let type: SocketType
    /// The context the socket belongs to; retained so it outlives the socket.
    public let context: Context
    var handle: UnsafeMutableRawPointer?

    /// Opens a socket; `linger` is how many milliseconds unsent messages survive `close()`.
    public init(_ context: Context, type: SocketType, linger: Int32) throws {
        guard let handle = zmq_socket(context.handle, type.rawValue) else { throw ZMQError.current() }
        self.type = type
        self.context = context
        self.handle = handle
        try set(.linger, linger)
    }

    deinit {
        assert(handle == nil, "\(type) socket was never closed: call close() on its owning thread")
        if let handle { zmq_close(handle) }
    }

    /// Closes the socket. Calling it again does nothing.
    public func close() {
        guard let handle else { return }
        zmq_close(handle)
        self.handle = nil
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { handle == nil }

    @inline(__always)
    func open() throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError.notSocket }
        return handle
    }

    // MARK: Endpoints

    /// Binds to `endpoint` (`tcp://127.0.0.1:*` lets the OS choose the port; read `lastEndpoint`).
    ///
    /// `tcp://localhost:P` binds the IPv4 loopback, 127.0.0.1 (libzmq takes a bind host for an
    /// interface name and would fail with "No such device"); a bracketed IPv6 host such as
    /// `tcp://[::1]:P` turns on `ZMQ_IPV6` first.
    public func bind(_ endpoint: String) throws {
        let handle = try open()
        let address = TCPAddress(endpoint)
        if address?.isIPv6 == true { try set(.ipv6, 1) }
        let resolved = address?.host == "localhost" ? address!.replacingHost(with: "127.0.0.1") : endpoint
        _ = try zmqCall { zmq_bind(handle, resolved) }
    }

    /// Connects to `endpoint`; libzmq connects (and reconnects) in the background. A bracketed
    /// IPv6 host (`tcp://[::1]:P`) turns on `ZMQ_IPV6` first.
    public func connect(_ endpoint: String) throws {
        let handle = try open()
        if TCPAddress(endpoint)?.isIPv6 == true { try set(.ipv6, 1) }
        _ = try zmqCall { zmq_connect(handle, endpoint) }
    }

    /// Stops listening on a bound `endpoint`.
    public func unbind(_ endpoint: String) throws {
        let handle = try open()
        _ = try zmqCall { zmq_unbind(handle, endpoint) }
    }

    /// Drops the connection to `endpoint`.
    public func disconnect(_ endpoint: String) throws {
        let handle = try open()
        _ = try zmqCall { zmq_disconnect(handle, endpoint) }
    }

    /// The endpoint last bound, with the actual port.
    public var lastEndpoint: String {
        get throws { String(decoding: try get(.lastEndpoint).prefix { $0 != 0 }, as: UTF8.self) }
    }

    // MARK: Options

    /// Sets an integer option.
    public func set(_ option: IntOption, _ value: Int32) throws {
        let handle = try open()
        var value = value
        _ = try zmqCall { zmq_setsockopt(handle, option.rawValue, &value, MemoryLayout<Int32>.size) }
    }

    /// Sets a 64-bit integer option.
    public func set(_ option: Int64Option, _ value: Int64) throws {
        let handle = try open()
        var value = value
        _ = try zmqCall { zmq_setsockopt(handle, option.rawValue, &value, MemoryLayout<Int64>.size) }
    }

    /// Reads an integer option.
    public func get(_ option: IntOption) throws -> Int32 {
        let handle = try open()
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        _ = try zmqCall { zmq_getsockopt(handle, option.rawValue, &value, &size) }
        return value
    }

    /// Sets a byte-string option.
    public func set(_ option: BytesOption, _ value: some Collection<UInt8>) throws {
        let handle = try open()
        let bytes = Array(value)
        _ = try zmqCall { bytes.withUnsafeBytes { zmq_setsockopt(handle, option.rawValue, $0.baseAddress, $0.count) } }
    }

    /// Sets a byte-string option from UTF-8 text.
    public func set(_ option: BytesOption, _ value: String) throws {
        try set(option, Array(value.utf8))
    }

    /// Reads a byte-string option (up to 256 bytes).
    public func get(_ option: BytesOption) throws -> [UInt8] {
        let handle = try open()
        var buffer = [UInt8](repeating: 0, count: 256)
        var size = buffer.count
        _ = try zmqCall { buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, option.rawValue, $0.baseAddress, &size) } }
        return Array(buffer.prefix(size))
    }

    /// Whether a message is waiting to be received (`ZMQ_EVENTS` has `ZMQ_POLLIN`).
    ///
    /// Reading it also re-arms the socket for `ManySocketPoller`: once it is `false`, the poller
    /// reports the socket again when a message arrives.
    public var hasIncoming: Bool {
        get throws { try get(.events) & Int32(ZMQ_POLLIN) != 0 }
    }

    // MARK: Sending

    /// Sends one frame; returns `false` if it would block and `dontWait` was asked.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        let handle = try open()
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        return try zmqCall { zmq_send(handle, bytes.baseAddress, bytes.count, flags) } != nil
    }

    /// Sends one frame holding `bytes`.
    @discardableResult
    public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws -> Bool {
        try bytes.withUnsafeBytes { (raw) in try send(raw, more: more, dontWait: dontWait) }
    }

    /// Sends one frame holding `text` as UTF-8.
    @discardableResult
    public func send(_ text: String, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        try send(Array(text.utf8), more: more, dontWait: dontWait)
    }

    /// Sends a kept payload; its bytes are shared, not copied, and the payload stays usable.
    @discardableResult
    public func send(_ payload: Payload, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        let handle = try open()
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        zmq_msg_copy(&message, &payload.message)
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        return try zmqCall { zmq_msg_send(&message, handle, flags) } != nil
    }

    /// Sends frame `index` of a received message without copying it; the frame is empty afterwards.
    @discardableResult
    public func send(frame index: Int, of frames: Frames, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        precondition(index < frames.count, "frame \(index) of \(frames.count)")
        let handle = try open()
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        return try zmqCall { zmq_msg_send(frames.messages + index, handle, flags) } != nil
    }

    /// Sends a whole multipart message; returns `false` if the first frame would block.
    @discardableResult
    public func send(multipart parts: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        precondition(!parts.isEmpty, "a message has at least one frame")
        for (index, part) in parts.enumerated() {
            let sent = try send(part, more: index < parts.count - 1, dontWait: dontWait && index == 0)
            if !sent { return false }
        }
        return true
    }

    // MARK: Receiving

    /// Receives one whole message into `frames`; returns `false` if none is waiting and `dontWait` was asked.
    ///
    /// Multipart messages arrive atomically, so once the first frame is in the rest never blocks.
    public func receive(into frames: Frames, dontWait: Bool = false) throws -> Bool {
        let handle = try open()
        frames.beginReceive()
        var flags = dontWait ? ZMQ_DONTWAIT : 0
        while true {
            let slot = frames.slotForNextFrame()
            guard try zmqCall({ zmq_msg_recv(slot, handle, flags) }) != nil else {
                frames.beginReceive()
                return false
            }
            if zmq_msg_more(slot) == 0 { return true }
            flags = 0
        }
    }

    /// Receives one whole message as copied frames, or `nil` if none is waiting and `dontWait` was asked.
    public func receiveMultipart(dontWait: Bool = false) throws -> [[UInt8]]? {
        let handle = try open()
        var parts: [[UInt8]] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        var flags = dontWait ? ZMQ_DONTWAIT : 0
        while true {
            guard try zmqCall({ zmq_msg_recv(&message, handle, flags) }) != nil else { return nil }
            parts.append(Array(UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: zmq_msg_size(&message))))
            if zmq_msg_more(&message) == 0 { return parts }
            flags = 0
        }
    }
}
