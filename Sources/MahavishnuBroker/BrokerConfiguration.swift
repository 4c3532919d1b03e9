import MahavishnuCore
import ZeroMQ

/// Everything the broker needs to start.
public struct BrokerConfiguration: Sendable {
    /// Where producers connect (ROUTER). Default `tcp://127.0.0.1:5555`; `:*` lets the OS pick a port.
    public var frontend = "tcp://127.0.0.1:5555"
    /// Where pools connect (ROUTER). Default `tcp://127.0.0.1:5556`.
    public var backend = "tcp://127.0.0.1:5556"
    /// Most tasks that may wait for a pool at once; past it producers get `overloaded`. Default 10,000.
    public var queueBound = 10_000
    /// Most bytes of task bodies that may wait at once; past it producers get `overloaded`. Default 256 MiB.
    public var queueBytes = 256 << 20
    /// The largest task body accepted; larger ones get `too_large`. Default 4 MiB.
    public var maxTaskBytes = 4 << 20
    /// The largest result body a pool may send (told to pools in `WELCOME`). Default 16 MiB.
    public var maxResultBytes = 16 << 20
    /// Selector for tasks whose selector frame is empty. Default `least_loaded`.
    public var defaultSelector = PoolSelector.leastLoaded
    /// Per-peer high-water mark of the backend and of the frontend's inbound side, in messages. Default 100,000.
    public var highWaterMark: Int32 = 100_000
    /// Results queued on the frontend for one producer that is not reading; past it they are
    /// dropped from the socket (a retry gets them from the result cache). Default 1,000.
    public var producerHighWaterMark: Int32 = 1_000
    /// The executables the broker starts pools with; `nil` disables `spawn`. Default `nil`.
    public var poolExecutables: PoolExecutables?
    /// The settings file passed on to spawned pools. Default `nil`.
    public var settingsFile: String?
    /// The worker types pools may run (the settings' `worker_types:` and the built-ins); `spawn`
    /// refuses any other with this list. Default: the built-ins.
    public var workerTypeNames = WorkerTypeCatalog.builtIn.names
    /// `spawn` starts pools of every type but `worker` (`pools_enabled`); otherwise it refuses
    /// them with `disabled`, naming the switch and `settingsFile`. Default true.
    public var poolsEnabled = true
    /// `spawn` starts pools of type `worker` (`workers_enabled`). Default true.
    public var workersEnabled = true
    /// The memory database the broker's aggregator writes, reported by `info`; `nil` when
    /// memory aggregation is off. Default `nil`.
    public var memoryDatabasePath: String?
    /// Pools to start as soon as the broker runs (a topology's `pools:`). Default none.
    public var initialPools: [PoolConfig] = []
    /// Seconds a spawned pool has to register before the spawn fails. Default 30.
    public var spawnTimeout = 30.0
    /// Seconds a stopping broker waits for in-flight tasks and child pools before killing them. Default 30.
    public var drainTimeout = 30.0
    /// Time between heartbeats to and from pools. Default 1 s.
    public var heartbeatInterval = Duration.seconds(1)
    /// Heartbeats a pool may miss before it is declared lost. Default 3.
    public var heartbeatLiveness = 3
    /// Times a task is dispatched again after its pool died before it fails `worker_lost`. Default 2.
    public var retryBudget = 2
    /// How long affinity tasks wait for their lost pool to come back. Default 30 s.
    public var affinityWait = Duration.seconds(30)
    /// The write-ahead journal: tasks and results survive the broker process dying (or the
    /// machine losing power); `nil` keeps them in memory only. Default `nil`.
    public var journal: JournalConfiguration?
    /// This broker's half of a primary/backup pair; `nil` for a broker on its own. A pair needs
    /// the journal, which the active streams to the passive. Default `nil`.
    public var pair: BrokerPairConfiguration?
    /// Recent results kept to answer a retried task id. Default 10,000.
    public var resultCacheSize = 10_000
    /// Most bytes of recent results kept. Default 64 MiB.
    public var resultCacheBytes = 64 << 20
    /// Idle time before an auto-scaling pool shrinks. Default 30 s.
    public var autoscaleCooldown = Duration.seconds(30)
    /// CURVE keys and the allow-list for every endpoint; `nil` runs without encryption, which
    /// is only allowed on loopback (or with `insecure`). Default `nil`.
    public var security: BrokerSecurity?
    /// Allow binding non-loopback TCP endpoints without CURVE. Default false.
    public var insecure = false
    /// More arguments for every pool process the broker starts. Default none.
    public var poolArguments: [String] = []
    /// The message bus the broker runs (an XSUB/XPUB proxy); `nil` for none. The pools it
    /// starts are told its endpoints. Default `nil`.
    public var bus: BusProxyConfiguration?
    /// Called on the router thread when pools come and go; keep it quick. Default: nothing.
    public var onEvent: @Sendable (BrokerEvent) -> Void = { _ in }

    public init() {}
}

/// The broker's CURVE identity and who may talk to it.
public struct BrokerSecurity: Sendable {
    /// The broker's key pair; clients need its public key.
    public var keys: CurveKeyPair
    /// The YAML file listing allowed public keys by role (reloaded on SIGHUP).
    public var allowListFile: String

    public init(keys: CurveKeyPair, allowListFile: String) {
        self.keys = keys
        self.allowListFile = allowListFile
    }
}

/// Something that happened to the deployment, reported through `BrokerConfiguration.onEvent`.
public enum BrokerEvent: Sendable {
    /// A pool registered (or registered again).
    case poolRegistered(PoolSummary)
    /// A pool left: drained, closed, died or could not be reached.
    case poolRemoved(poolID: String, name: String, reason: String)
    /// A pool the broker started could not start.
    case spawnFailed(name: String, reason: String)
    /// A pool stopped answering (or its process died); its tasks went back to the queue.
    case poolLost(poolID: String, name: String, reason: String)
    /// A pool was resized, by request or by the autoscaler.
    case poolScaled(poolID: String, name: String, from: Int, to: Int, reason: String)
    /// The broker restarts a crashed pool process after a backoff.
    case poolRestarting(poolID: String, name: String, after: Duration)
    /// The broker stopped taking work and is waiting for in-flight tasks and child pools.
    case draining
    /// The broker's place in its pair changed (it started, became passive or active).
    case pairChanged(PairStatus)
}
