internal import CZeroMQ

/// Relays messages both ways between `frontend` and `backend` inside libzmq (`zmq_proxy`), the
/// classic ROUTER ↔ DEALER broker with no logic of its own; `capture`, if given, gets a copy of
/// every message.
///
/// Blocks until the sockets' context is shut down (`Context.shutdown()`), then returns; any other
/// error is thrown.
///
/// - Important: the calling thread must own all three sockets and stays inside libzmq until the
///   context is shut down; close the sockets on that thread once this returns.
public func proxy(frontend: Socket, backend: Socket, capture: Socket? = nil) throws {
    let frontendHandle = try frontend.open()
    let backendHandle = try backend.open()
    let captureHandle = try capture?.open()
    do {
        _ = try zmqCall { zmq_proxy(frontendHandle, backendHandle, captureHandle) }
    } catch {
        if error != .terminated { throw error }
    }
}
