import Logging
import MahavishnuCore
import Synchronization
import ZeroMQ

/// The broker process's core: binds the frontend and backend, then runs the router loop.
///
/// - Important: `run()` blocks the calling thread, which then owns every socket; run it on a
///   dedicated thread. Only `stop()` may be called from other threads.
public final class Broker: @unchecked Sendable {
    /// The endpoints actually bound (with the ports the OS chose for `:*`).
    public let frontendEndpoint: String
    public let backendEndpoint: String
    private let loop: RouterLoop
    private let context: Context

    /// The message bus proxy (bound, not yet running), when the configuration asked for one.
    ///
    /// - Important: run it on a thread of its own with `run()`; stop it after the broker.
    public var bus: BusProxy? { loop.bus }

    /// Keys for the pools the broker starts when CURVE is on; the broker admits them. (Its own
    /// bus clients use the proxy's `inproc://` endpoints, which need none.)
    public var internalKeys: ClientCurveKeys? { loop.internalKeys }

    /// Binds both sockets; throws if an endpoint is malformed or already in use.
    public init(configuration: BrokerConfiguration, logger: Logger) throws {
        context = try Context()
        loop = try RouterLoop(configuration: configuration, context: context, logger: logger)
        frontendEndpoint = try loop.frontend.lastEndpoint
        backendEndpoint = try loop.backend.lastEndpoint
    }

    /// Runs the router loop until `stop()`; closes the sockets before returning.
    public func run() throws {
        try loop.run()
    }

    /// Closes every socket of a broker whose `run()` will not be called (startup failed after
    /// it was built); does nothing once `run()` has been called.
    public func close() {
        loop.closeUnrun()
    }

    /// Re-reads the allow-list file (on SIGHUP): new handshakes see the change, live connections stay.
    public func reloadAllowList() throws {
        try loop.authenticator?.reload()
    }

    /// Asks the loop to finish; safe from any thread.
    public func stop() {
        loop.requestStop()
    }
}
