internal import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// A wake-up signal another thread can raise to interrupt a `Poller` (a Linux eventfd).
///
/// The owning thread polls `fileDescriptor` beside its sockets; any thread may call `signal()`.
public final class Wakeup: @unchecked Sendable {
    /// The descriptor to register with `Poller.addReadable(fileDescriptor:)`.
    public let fileDescriptor: Int32

    public init() {
        fileDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(fileDescriptor >= 0, "eventfd failed: errno \(errno)")
    }

    /// Wakes the polling thread; signals raised before it drains coalesce into one.
    public func signal() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(fileDescriptor, $0.baseAddress, 8) }
    }

    /// Clears pending signals; call it when the poller reports the descriptor readable.
    public func drain() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { read(fileDescriptor, $0.baseAddress, 8) }
    }

    deinit { Glibc.close(fileDescriptor) }
}
