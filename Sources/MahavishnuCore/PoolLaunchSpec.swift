/// How a broker starts one of its pools: the pool process's command line, built here and
/// parsed by `mahavishnu-pool` (and `mahavishnu pool run`) with the option names below, so the
/// two cannot drift apart.
public struct PoolLaunchSpec: Sendable, Equatable {
    /// The long option names (without `--`) the pool command parses.
    public enum Option {
        public static let id = "id"
        public static let name = "name"
        public static let type = "type"
        public static let min = "min"
        public static let max = "max"
        public static let workerType = "worker-type"
        public static let delegate = "delegate"
        public static let broker = "broker"
        public static let frontend = "frontend"
        public static let busPub = "bus-pub"
        public static let busSub = "bus-sub"
        public static let exitWithParent = "exit-with-parent"
        public static let autoScale = "auto-scale"
        public static let settings = "settings"
    }

    /// Where a pool reaches the broker that starts it.
    public struct Broker: Sendable, Equatable {
        /// The backend the pool registers on.
        public var backend: String
        /// The frontend, where the pool runs the tasks other pools delegate to it.
        public var frontend: String?
        /// The message bus, when the broker runs one.
        public var busPublish: String?
        public var busSubscribe: String?

        public init(backend: String, frontend: String? = nil, busPublish: String? = nil, busSubscribe: String? = nil) {
            self.backend = backend
            self.frontend = frontend
            self.busPublish = busPublish
            self.busSubscribe = busSubscribe
        }
    }

    public var poolID: String
    public var pool: PoolConfig
    public var broker: Broker
    /// The broker's settings file, for the pool to read the same settings.
    public var settingsFile: String?
    /// The pool drains and exits when the broker, its parent, is gone.
    public var exitWithParent = true

    public init(poolID: String, pool: PoolConfig, broker: Broker, settingsFile: String? = nil) {
        self.poolID = poolID
        self.pool = pool
        self.broker = broker
        self.settingsFile = settingsFile
    }

    /// The command line's arguments, after the executable (and `pool run` for `mahavishnu`).
    public var arguments: [String] {
        var arguments: [String] = []
        func add(_ option: String, _ value: String?) {
            if let value { arguments += ["--" + option, value] }
        }
        func flag(_ option: String, _ isSet: Bool) {
            if isSet { arguments.append("--" + option) }
        }
        add(Option.id, poolID)
        add(Option.name, pool.name)
        add(Option.type, pool.poolType)
        add(Option.min, String(pool.minWorkers))
        add(Option.max, String(pool.maxWorkers))
        add(Option.workerType, pool.workerType)
        add(Option.delegate, pool.delegate)
        add(Option.broker, broker.backend)
        add(Option.frontend, broker.frontend)
        add(Option.busPub, broker.busPublish)
        add(Option.busSub, broker.busSubscribe)
        add(Option.settings, settingsFile)
        flag(Option.exitWithParent, exitWithParent)
        flag(Option.autoScale, pool.autoScale)
        return arguments
    }
}
