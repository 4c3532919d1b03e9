internal import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// Waits on many sockets at once with Linux epoll over their `ZMQ_FD` descriptors: a wake-up
/// costs O(sockets ready), where `Poller` (`zmq_poll`) costs O(sockets watched).
///
/// The descriptors signal edges, not messages: `wait` returns sockets that *may* have messages.
/// Receive from each with `dontWait` while `Socket.hasIncoming` is true, always until it is
/// false (sending can swallow a signal too), or the socket is not reported again.
///
/// - Important: like its sockets, a poller belongs to one thread.
public final class ManySocketPoller {
    private let epoll: Int32
    private var events = [epoll_event](repeating: epoll_event(), count: 256)

    public init() throws {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw ZMQError(code: errno) }
    }

    deinit { Glibc.close(epoll) }

    /// Watches `socket`; `wait` reports it as `tag` (a non-negative index of the caller's).
    public func add(_ socket: Socket, tag: Int) throws {
        precondition(tag >= 0 && tag <= Int(UInt32.max), "tags are non-negative 32-bit indexes")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u32 = UInt32(tag)
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, try socket.get(.fileDescriptor), &event) == 0 else {
            throw ZMQError(code: errno)
        }
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever); returns the tags of sockets that may have messages.
    public func wait(timeoutMilliseconds: Int32) throws -> [Int] {
        while true {
            let ready = epoll_wait(epoll, &events, Int32(events.count), timeoutMilliseconds)
            if ready >= 0 { return events.prefix(Int(ready)).map { Int($0.data.u32) } }
            guard errno == EINTR else { throw ZMQError(code: errno) }
        }
    }
}
