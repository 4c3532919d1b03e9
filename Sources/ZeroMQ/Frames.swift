internal import CZeroMQ

/// A reusable buffer that one multipart message is received into, frame by frame, without copying.
///
/// A router loop keeps one `Frames` and receives every message into it: no allocation per message.
/// Frame bytes stay valid until the next receive into the same buffer. Frames beyond `capacity`
/// are read and discarded, and `overflowed` says so: a message never blocks the socket.
///
/// - Important: like its socket, a `Frames` buffer belongs to one thread.
public final class Frames {
    /// How many frames the buffer holds.
    public let capacity: Int
    /// Frames in the last message received (at most `capacity`).
    public private(set) var count = 0
    /// The last message had more frames than `capacity`; the excess was discarded.
    public private(set) var overflowed = false
    let messages: UnsafeMutablePointer<zmq_msg_t>

    public init(capacity: Int = 16) {
        precondition(capacity > 0)
        self.capacity = capacity
        messages = .allocate(capacity: capacity)
        for index in 0..<capacity { zmq_msg_init(messages + index) }
    }

    deinit {
        for index in 0..<capacity { zmq_msg_close(messages + index) }
        messages.deallocate()
    }

    /// The size in bytes of frame `index`.
    public func size(_ index: Int) -> Int {
        precondition(index < count, "frame \(index) of \(count)")
        return zmq_msg_size(messages + index)
    }

    /// Calls `body` with the bytes of frame `index`; the pointer is valid only inside `body`.
    @inline(__always)
    public func withBytes<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(index < count, "frame \(index) of \(count)")
        let message = messages + index
        return try body(UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message)))
    }

    /// A copy of frame `index`'s bytes.
    public func bytes(_ index: Int) -> [UInt8] {
        withBytes(index) { Array($0) }
    }

    /// Frame `index` decoded as UTF-8 (invalid sequences are repaired).
    public func string(_ index: Int) -> String {
        withBytes(index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether frame `index` holds exactly `expected`.
    @inline(__always)
    public func frame(_ index: Int, equals expected: [UInt8]) -> Bool {
        withBytes(index) { bytes in
            bytes.count == expected.count && expected.withUnsafeBytes { bytes.elementsEqual($0) }
        }
    }

    /// A metadata property of the connection frame `index` arrived on, such as `"User-Id"`
    /// (set by a ZAP handler) or `"Peer-Address"`; `nil` when absent.
    public func property(_ index: Int, _ name: String) -> String? {
        precondition(index < count, "frame \(index) of \(count)")
        return zmq_msg_gets(messages + index, name).map { String(cString: $0) }
    }

    /// Frame `index` as a payload that outlives the next receive: a reference-counted share of a
    /// large frame, a copy of a small one.
    ///
    /// libzmq decodes the small messages of one read into a shared receive buffer (8 KB) and
    /// frees it once no message refers to it, so a share of a small frame would keep that whole
    /// buffer alive: a broker holding 10,000 results that came one read each would hold 80 MB
    /// for 1.5 MB of bodies. Copying a frame of up to `copiedFrameBytes` costs one small
    /// allocation, and what is kept is its size.
    public func retain(_ index: Int) -> Payload {
        precondition(index < count, "frame \(index) of \(count)")
        let message = messages + index
        let size = zmq_msg_size(message)
        guard size <= Self.copiedFrameBytes else { return Payload(copying: message) }
        return Payload(UnsafeRawBufferPointer(start: zmq_msg_data(message), count: size))
    }

    /// Frames up to libzmq's receive buffer size are copied by `retain`.
    public static let copiedFrameBytes = 8_192

    func beginReceive() {
        count = 0
        overflowed = false
    }

    func slotForNextFrame() -> UnsafeMutablePointer<zmq_msg_t> {
        if count < capacity {
            count += 1
            return messages + (count - 1)
        }
        overflowed = true
        return messages + (capacity - 1)
    }
}

/// One frame kept beyond the receive it came from: a task body held by a lease, say.
///
/// libzmq shares the content of large frames by reference count, so keeping or sending a
/// `Payload` does not copy its bytes.
public final class Payload: @unchecked Sendable {
    var message = zmq_msg_t()

    init(copying source: UnsafeMutablePointer<zmq_msg_t>) {
        zmq_msg_init(&message)
        zmq_msg_copy(&message, source)
    }

    /// A payload holding a copy of `bytes`.
    public init(_ bytes: some Collection<UInt8>) {
        zmq_msg_init_size(&message, bytes.count)
        let start = zmq_msg_data(&message)!.assumingMemoryBound(to: UInt8.self)
        _ = UnsafeMutableBufferPointer(start: start, count: bytes.count).initialize(from: bytes)
    }

    /// The payload's size in bytes.
    public var count: Int { zmq_msg_size(&message) }

    /// Calls `body` with the payload's bytes.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: zmq_msg_size(&message)))
    }

    /// A copy of the payload's bytes.
    public var bytes: [UInt8] { withBytes { Array($0) } }

    /// Whether its bytes may be shared with other messages (a share of a received frame).
    var sharesStorage: Bool { zmq_msg_get(&message, ZMQ_SHARED) == 1 }

    deinit { zmq_msg_close(&message) }
}
