internal import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// An error reported by libzmq, carrying its `errno` value.
///
/// `EINTR` never surfaces (calls are retried) and `EAGAIN` is returned as a value by the
/// non-blocking calls, so a thrown `ZMQError` always means something went wrong.
public struct ZMQError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The raw `errno` value libzmq reported.
    public let code: Int32

    public init(code: Int32) { self.code = code }

    /// The resource is temporarily unavailable (only thrown where blocking was requested with a timeout).
    public static let again = ZMQError(code: EAGAIN)
    /// The context was terminated while the call was in progress.
    public static let terminated = ZMQError(code: ZMQ_ETERM_VALUE)
    /// A ROUTER with `routerMandatory` could not route a message to the named peer.
    public static let hostUnreachable = ZMQError(code: EHOSTUNREACH)
    /// The endpoint is already bound by another socket or process.
    public static let addressInUse = ZMQError(code: EADDRINUSE)
    /// An argument (endpoint, option value) was invalid.
    public static let invalidArgument = ZMQError(code: EINVAL)
    /// The operation is not valid in the socket's current state.
    public static let wrongState = ZMQError(code: ZMQ_EFSM_VALUE)
    /// The endpoint's transport protocol is not supported.
    public static let protocolNotSupported = ZMQError(code: EPROTONOSUPPORT)
    /// The socket was already closed.
    public static let notSocket = ZMQError(code: ENOTSOCK)

    /// libzmq's own text for the error.
    public var description: String {
        String(cString: zmq_strerror(code))
    }

    /// Lets `catch ZMQError.hostUnreachable` match a thrown error.
    public static func ~= (pattern: ZMQError, error: any Error) -> Bool {
        (error as? ZMQError) == pattern
    }

    static func current() -> ZMQError { ZMQError(code: zmq_errno()) }
}

/// zmq.h defines ETERM and EFSM as expressions over ZMQ_HAUSNUMERO, which Swift does not import.
let ZMQ_ETERM_VALUE = Int32(ZMQ_HAUSNUMERO) + 53
let ZMQ_EFSM_VALUE = Int32(ZMQ_HAUSNUMERO) + 51

/// Runs one libzmq call: retries on `EINTR`, returns `nil` on `EAGAIN`, throws any other error.
@inline(__always)
func zmqCall(_ body: () -> Int32) throws(ZMQError) -> Int32? {
    while true {
        let rc = body()
        if rc >= 0 { return rc }
        let err = zmq_errno()
        if err == EINTR { continue }
        if err == EAGAIN { return nil }
        throw ZMQError(code: err)
    }
}
