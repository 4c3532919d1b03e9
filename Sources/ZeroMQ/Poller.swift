internal import CZeroMQ

/// Waits on several sockets and file descriptors at once (`zmq_poll`).
///
/// Register items once, then call `poll(timeoutMilliseconds:)` in the loop and ask which ones
/// are ready by the index `add` returned.
public final class Poller {
    var items: [zmq_pollitem_t] = []
    var sockets: [Socket?] = []

    public init() {}

    /// Watches `socket` for incoming messages; returns the item's index.
    @discardableResult
    public func addReadable(_ socket: Socket) -> Int {
        items.append(zmq_pollitem_t(socket: socket.handle, fd: -1, events: Int16(ZMQ_POLLIN), revents: 0))
        sockets.append(socket)
        return items.count - 1
    }

    /// Watches a file descriptor (an eventfd, a pipe) for readability; returns the item's index.
    @discardableResult
    public func addReadable(fileDescriptor: Int32) -> Int {
        add(fileDescriptor: fileDescriptor, writable: false)
    }

    /// Watches a file descriptor for room to write (a pipe's write end); returns the item's index.
    @discardableResult
    public func addWritable(fileDescriptor: Int32) -> Int {
        add(fileDescriptor: fileDescriptor, writable: true)
    }

    private func add(fileDescriptor: Int32, writable: Bool) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: Int16(writable ? ZMQ_POLLOUT : ZMQ_POLLIN), revents: 0))
        sockets.append(nil)
        return items.count - 1
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) for any item; returns how many are ready.
    @discardableResult
    public func poll(timeoutMilliseconds: Int) throws -> Int {
        for (index, socket) in sockets.enumerated() where socket != nil {
            items[index].socket = try socket!.open()
        }
        let count = items.count
        return try items.withUnsafeMutableBufferPointer { (buffer) in
            Int(try zmqCall { zmq_poll(buffer.baseAddress, Int32(count), timeoutMilliseconds) } ?? 0)
        }
    }

    /// Waits until `deadline` (`nil`: forever) for any item; returns how many are ready.
    @discardableResult
    public func poll(until deadline: ContinuousClock.Instant?) throws -> Int {
        try poll(timeoutMilliseconds: deadline.map { ($0 - .now).roundedUpMilliseconds } ?? -1)
    }

    /// How many items are registered.
    public var count: Int { sockets.count }

    /// Whether item `index` was readable at the last `poll`.
    public func isReadable(_ index: Int) -> Bool {
        items[index].revents & Int16(ZMQ_POLLIN) != 0
    }

    /// Whether item `index` is ready for what it was added for, or (a file descriptor) was hung
    /// up or failed, which a read or write then reports.
    public func isReady(_ index: Int) -> Bool {
        items[index].revents != 0
    }
}

extension Duration {
    /// Whole milliseconds, rounded up and never negative: a poll timeout that never wakes early.
    public var roundedUpMilliseconds: Int {
        let (seconds, attoseconds) = components
        return max(0, Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
    }
}
