import Foundation
import MahavishnuCore

/// Everything a pool process needs to start.
public struct PoolConfiguration: Sendable {
    /// Stable id, also the routing id on the broker's backend. Default: `pool_` and 8 random hex digits.
    public var poolID = newPoolID()
    /// Human name, unique among live pools. Default `default`.
    public var name = "default"
    /// Pool type. Default `mahavishnu`.
    public var type = "mahavishnu"
    /// What each worker runs: a name in `workerTypes`. Default `echo`.
    public var workerType = "echo"
    /// The worker types this pool can run (the settings' `worker_types:` and the built-ins). Default: the built-ins.
    public var workerTypes = WorkerTypeCatalog.builtIn
    /// Seconds a task may run when it names no `timeout` (`worker_timeout_seconds`). Default 300.
    public var taskTimeout = 300.0
    /// Workers started with the pool. Default 1.
    public var minWorkers = 1
    /// The most workers the pool may scale to. Default 10.
    public var maxWorkers = 10
    /// The broker's backend endpoint. Default `tcp://127.0.0.1:5556`.
    public var broker = "tcp://127.0.0.1:5556"
    /// The other backends of a broker pair, tried in turn when the broker is silent or not active. Default none.
    public var otherBrokers: [String] = []
    /// Seconds a stopping pool waits for the broker to release it before exiting anyway. Default 10.
    public var drainTimeout = 10.0
    /// Drain and exit if the parent process (the broker that started the pool) goes away. Default false.
    public var exitWithParent = false
    /// Time between heartbeats to the broker. Default 1 s.
    public var heartbeatInterval = Duration.seconds(1)
    /// Heartbeats the broker may miss before the pool reconnects on a fresh socket. Default 3.
    public var heartbeatLiveness = 3
    /// The broker may grow and shrink this pool between min and max workers. Default false.
    public var autoScale = false
    /// CURVE keys for a broker that requires them. Default `nil` (plain).
    public var curve: ClientCurveKeys?
    /// The delegate services a `session-buddy` pool may use (the settings' `delegates:`). Default none.
    public var delegates = DelegateCatalog()
    /// A `session-buddy` pool's delegate, a name in `delegates`; `nil` for the only one defined. Default `nil`.
    public var delegate: String?

    public init() {}

    /// Checks the values a user can get wrong; the message names the option and what is allowed.
    public func validate() throws(PoolConfigurationError) {
        if let problem = PoolNaming.problem(with: name, field: "--name") ?? PoolNaming.problem(with: poolID, field: "--id")
            ?? PoolNaming.problem(minWorkers: minWorkers, maxWorkers: maxWorkers, fields: ("--min", "--max")) {
            throw PoolConfigurationError(problem)
        }
        if type == PoolConfig.delegatedPoolType {
            do { _ = try delegates.resolve(delegate) } catch { throw PoolConfigurationError(error.description) }
        } else if delegate != nil {
            throw PoolConfigurationError("--delegate applies to \(PoolConfig.delegatedPoolType) pools only (this pool's type is '\(type)')")
        } else if workerTypes[workerType] == nil {
            throw PoolConfigurationError(WorkerTypeCatalog.unknownTypeMessage(workerType, defined: workerTypes.names))
        }
        if !(taskTimeout > 0) { throw PoolConfigurationError("the default task timeout must be more than 0 seconds (got \(taskTimeout))") }
    }
}

/// A pool configuration value that cannot work.
public struct PoolConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
