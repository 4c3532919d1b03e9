internal import CZeroMQ

/// A libzmq context: the I/O threads and the namespace for `inproc://` endpoints.
///
/// Every `Socket` retains its context, so a context lives as long as its sockets. Terminate it
/// explicitly with `terminate()` once all its sockets are closed, or let `deinit` do it.
public final class Context: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// Sockets a context holds at once unless told otherwise: libzmq's own default. A socket's
    /// peers do not count, so a ROUTER with thousands of peers is one socket.
    public static let defaultMaxSockets: Int32 = 1023

    /// Creates a context with `ioThreads` background I/O threads (1 is right for most processes)
    /// and room for `maxSockets` sockets.
    ///
    /// libzmq fills a table the size of `maxSockets` when the first socket opens: 12 bytes a
    /// socket, so 65,535 would cost 768 KiB of memory in every process.
    public init(ioThreads: Int32 = 1, maxSockets: Int32 = Context.defaultMaxSockets) throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.current() }
        self.handle = handle
        _ = zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads)
        _ = zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, maxSockets)
    }

    /// Shuts the context down: blocking calls on its sockets fail with `.terminated`.
    ///
    /// Use it to wake threads stuck in a blocking receive; they must still close their sockets.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}

/// The version of the libzmq library this process linked against, as `(major, minor, patch)`.
public func libzmqVersion() -> (major: Int32, minor: Int32, patch: Int32) {
    var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
    zmq_version(&major, &minor, &patch)
    return (major, minor, patch)
}

/// Whether this libzmq build supports a capability such as `"curve"` or `"ipc"`.
public func libzmqHas(_ capability: String) -> Bool {
    zmq_has(capability) != 0
}
