import Yams

/// Every setting, with the guide's flat keys (`settings/mahavishnu.yaml` documents each one).
///
/// Precedence: command-line flag > `MAHAVISHNU_<KEY>` environment variable > settings file >
/// the defaults below. `SettingsLoader` applies them in that order and validates the result.
public struct Settings: Sendable, Equatable {
    /// Where these settings came from (`SettingsLoader` records it; not a key). Default: nowhere, all defaults.
    public var origin = SettingsOrigin()
    /// The `workers` commands and `WorkerManager` are enabled. Default true.
    public var workersEnabled = true
    /// Most workers `WorkerManager` runs at once. Default 10.
    public var maxConcurrentWorkers = 10
    /// Worker type `workers spawn` uses when none is given. Default `echo`.
    public var workerDefaultType = "echo"
    /// Seconds a task may run when it names no timeout. Default 300.
    public var workerTimeoutSeconds = 300.0
    /// The `pool` commands and `PoolManager` are enabled. Default true.
    public var poolsEnabled = true
    /// Pool type `pool spawn` uses when none is given. Default `mahavishnu`.
    public var defaultPoolType = "mahavishnu"
    /// Selector for tasks that name none. Default `least_loaded`.
    public var poolRoutingStrategy = PoolSelector.leastLoaded
    /// Workers a spawned pool starts with when none is given. Default 1.
    public var poolDefaultMinWorkers = 1
    /// Most workers a spawned pool may have when none is given. Default 10.
    public var poolDefaultMaxWorkers = 10
    /// Results are stored in the memory database. Default true.
    public var memoryAggregationEnabled = true
    /// The longest a finished task's result may wait before the memory store writes it, in seconds,
    /// and so the most a broker crash can lose; the store writes continuously and warns when it
    /// falls this far behind. Greater than 0, at most 60. Default 1.
    public var memorySyncInterval = 1.0
    /// The broker's frontend: producers and the CLI connect here. Default `tcp://127.0.0.1:5555`.
    public var brokerFrontend = "tcp://127.0.0.1:5555"
    /// The broker's backend: pools connect here. Default `tcp://127.0.0.1:5556`.
    public var brokerBackend = "tcp://127.0.0.1:5556"
    /// Most tasks that may wait for a pool; beyond it producers get `overloaded`. Default 10,000.
    public var brokerQueueBound = 10_000
    /// Bytes of task bodies that may wait for a pool; beyond it producers get `overloaded`. Default 256 MiB.
    public var brokerQueueBytes = 256 << 20
    /// The largest task body the broker accepts; larger ones get `too_large`. Default 4 MiB.
    public var maxTaskBytes = 4 << 20
    /// The largest result a pool may send; a larger one is replaced by a `failed` result that
    /// says so. Default 16 MiB.
    public var maxResultBytes = 16 << 20
    /// Results the broker's socket queues for one producer that is not reading them; beyond it
    /// they stay only in the result cache, for the producer's retry. Default 1,000.
    public var producerHighWaterMark = 1_000
    /// Milliseconds between heartbeats on the broker–pool link. Default 1,000.
    public var heartbeatIntervalMs = 1_000
    /// Heartbeats a peer may miss before it is declared dead. Default 3.
    public var heartbeatLiveness = 3
    /// Times a task is dispatched again after the pool running it died; then it fails `worker_lost`. Default 2.
    public var taskRetryBudget = 2
    /// Seconds affinity tasks wait for their lost pool to come back before failing `pool_lost`. Default 30.
    public var affinityWaitSeconds = 30.0
    /// Recent results the broker keeps to answer a retried task id without running it again. Default 10,000.
    public var resultCacheSize = 10_000
    /// Bytes of recent results the broker keeps; the oldest go first past it. Default 64 MiB.
    public var resultCacheBytes = 64 << 20
    /// What the broker's write-ahead journal survives: `off` (nothing: tasks live in memory),
    /// `crash` (the broker process dying) or `fsync` (the machine losing power). Default `crash`.
    public var journalMode = JournalMode.crash
    /// The journal file (`~` is the home directory). Default: `journal-HOST-PORT` of the broker's
    /// frontend in `$XDG_STATE_HOME/mahavishnu` (`~/.local/state/mahavishnu`), so brokers on
    /// one machine never share one.
    public var journalPath: String?
    /// Seconds a finished task's result stays in the journal (and the result cache) to answer
    /// retries and `task` queries. Default 3,600.
    public var journalRetentionSeconds = 3_600.0
    /// This broker's place in a primary/backup pair: `primary`, `backup`, or `nil` (`none`) for a
    /// broker on its own. Default none.
    public var brokerRole: PairRole?
    /// The peer broker's pair endpoint (needed with `broker_role`). Default none.
    public var brokerPeer: String?
    /// Where this broker's pair socket listens for its peer. Default `tcp://127.0.0.1:5559`.
    public var brokerPairBind = "tcp://127.0.0.1:5559"
    /// Milliseconds the pair's peer may be silent before it counts as gone. Default 2,000.
    public var brokerPeerTimeoutMs = 2_000
    /// Seconds an auto-scaling pool's workers must sit idle before it shrinks. Default 30.
    public var autoscaleCooldownSeconds = 30.0
    /// Seconds after which a client sends a task again if its result has not arrived. Default 2.
    public var clientRetryIntervalSeconds = 2.0
    /// Directory with the broker's CURVE key pair (`broker.public`, `broker.secret`). Default none: no CURVE.
    public var brokerKeysDir: String?
    /// The allow-list file of public keys by role (needed with `broker_keys_dir`). Default none.
    public var brokerAllowList: String?
    /// Directory with this client's or pool's key pair (`id.*`) and `broker.public`. Default none.
    public var clientKeysDir: String?
    /// The worker types: the built-ins (`echo`, `terminal-qwen`, `terminal-claude`) and those of
    /// the file's `worker_types:` mapping (the file only; no environment variable or flag).
    public var workerTypes = WorkerTypeCatalog.builtIn
    /// The outside MCP worker services `session-buddy` pools delegate to (`delegates:`; the file only). Default none.
    public var delegates = DelegateCatalog()
    /// The MCP server's per-caller rate limit (`caller_quota:`; the file only). Default off.
    public var callerQuota = CallerQuota()
    /// The MCP server's SQLite file of `dispatch_to_pool` workflows. Default
    /// `$XDG_STATE_HOME/mahavishnu/workflows.sqlite` (`~/.local/state/…`).
    public var workflowDatabase: String?
    /// The bus's publish side (the broker's XSUB): publishers connect here. Default `tcp://127.0.0.1:5557`.
    public var brokerBusPub = "tcp://127.0.0.1:5557"
    /// The bus's subscribe side (the broker's XPUB): subscribers connect here. Default `tcp://127.0.0.1:5558`.
    public var brokerBusSub = "tcp://127.0.0.1:5558"
    /// Where the broker serves `/metrics` over HTTP: `HOST:PORT`, or `off`. Default `127.0.0.1:9464`.
    public var brokerHTTP = "127.0.0.1:9464"
    /// The file of the dashboard's admin token. Default `dashboard.token` in `broker_keys_dir`
    /// with CURVE, else `dashboard-PORT.token` in `$XDG_STATE_HOME/mahavishnu`.
    public var brokerHTTPToken: String?
    /// Messages each bus socket queues (the broker's proxy per peer, each publisher, each
    /// subscriber) before dropping new ones. Default 10,000.
    public var busHighWaterMark = 10_000
    /// The memory database (SQLite); `~` is the home directory. Default `~/.local/share/mahavishnu/memory.sqlite`.
    public var memoryDatabasePath = "~/.local/share/mahavishnu/memory.sqlite"
    /// Most results in one memory store write; when more wait, the next write follows at once. Default 10,000.
    public var memoryBatchSize = 10_000

    public init() {}
}

/// One settings key: its name, what it accepts, and how it sets its field.
struct SettingsKey: Sendable {
    let name: String
    let expected: String
    let apply: @Sendable (inout Settings, Node) -> Bool

    /// The environment variable that sets this key.
    var environmentVariable: String { "MAHAVISHNU_" + name.uppercased() }

    static func bool(_ name: String, _ field: WritableKeyPath<Settings, Bool> & Sendable) -> SettingsKey {
        SettingsKey(name: name, expected: "true or false") { settings, node in
            guard let value = ValueParser.bool(node) else { return false }
            settings[keyPath: field] = value
            return true
        }
    }

    static func int(_ name: String, _ field: WritableKeyPath<Settings, Int> & Sendable, minimum: Int) -> SettingsKey {
        SettingsKey(name: name, expected: "a whole number, at least \(minimum)") { settings, node in
            guard let value = ValueParser.int(node), value >= minimum else { return false }
            settings[keyPath: field] = value
            return true
        }
    }

    static func bytes(_ name: String, _ field: WritableKeyPath<Settings, Int> & Sendable, minimum: Int) -> SettingsKey {
        SettingsKey(name: name, expected: "a size of at least \(ByteSize.describe(minimum)): bytes, or a number with KiB, MiB or GiB (64 MiB)") { settings, node in
            guard let value = ValueParser.bytes(node), value >= minimum else { return false }
            settings[keyPath: field] = value
            return true
        }
    }

    static func seconds(_ name: String, _ field: WritableKeyPath<Settings, Double> & Sendable, maximum: Int? = nil) -> SettingsKey {
        let expected = "a number of seconds greater than 0" + (maximum.map { " and at most \($0)" } ?? "")
        return SettingsKey(name: name, expected: expected) { settings, node in
            guard let value = ValueParser.double(node), value > 0, value <= Double(maximum ?? .max) else { return false }
            settings[keyPath: field] = value
            return true
        }
    }

    static func string(_ name: String, _ field: WritableKeyPath<Settings, String> & Sendable) -> SettingsKey {
        SettingsKey(name: name, expected: "a non-empty string") { settings, node in
            guard let value = ValueParser.string(node) else { return false }
            settings[keyPath: field] = value
            return true
        }
    }

    static func path(_ name: String, _ field: WritableKeyPath<Settings, String?> & Sendable) -> SettingsKey {
        SettingsKey(name: name, expected: "a path") { settings, node in
            guard let value = ValueParser.string(node) else { return false }
            settings[keyPath: field] = value
            return true
        }
    }

    static func httpAddress(_ name: String, _ field: WritableKeyPath<Settings, String> & Sendable) -> SettingsKey {
        SettingsKey(name: name, expected: "HOST:PORT (port 0: the OS chooses), or off") { settings, node in
            guard let value = ValueParser.string(node), HTTPListenAddress.isValid(value) else { return false }
            settings[keyPath: field] = value
            return true
        }
    }

    static func endpoint(_ name: String, _ field: WritableKeyPath<Settings, String> & Sendable) -> SettingsKey {
        SettingsKey(name: name, expected: "an endpoint: tcp://HOST:PORT, ipc://PATH or inproc://NAME") { settings, node in
            guard let value = ValueParser.string(node), validateEndpoint(value) == nil else { return false }
            settings[keyPath: field] = value
            return true
        }
    }

    static func journalMode(_ name: String, _ field: WritableKeyPath<Settings, JournalMode> & Sendable) -> SettingsKey {
        SettingsKey(name: name, expected: "one of \(JournalMode.allCases.map(\.rawValue).joined(separator: ", "))") { settings, node in
            guard let value = ValueParser.string(node).flatMap(JournalMode.init(rawValue:)) else { return false }
            settings[keyPath: field] = value
            return true
        }
    }

    static func optionalEndpoint(_ name: String, _ field: WritableKeyPath<Settings, String?> & Sendable) -> SettingsKey {
        SettingsKey(name: name, expected: "an endpoint: tcp://HOST:PORT, ipc://PATH or inproc://NAME") { settings, node in
            guard let value = ValueParser.string(node), validateEndpoint(value) == nil else { return false }
            settings[keyPath: field] = value
            return true
        }
    }

    static func pairRole(_ name: String, _ field: WritableKeyPath<Settings, PairRole?> & Sendable) -> SettingsKey {
        SettingsKey(name: name, expected: "primary, backup or none") { settings, node in
            guard let value = ValueParser.string(node), value == "none" || PairRole(rawValue: value) != nil else { return false }
            settings[keyPath: field] = PairRole(rawValue: value)
            return true
        }
    }

    static func selector(_ name: String, _ field: WritableKeyPath<Settings, PoolSelector> & Sendable) -> SettingsKey {
        let routable = PoolSelector.allCases.filter { $0 != .affinity }.map(\.rawValue).joined(separator: ", ")
        return SettingsKey(name: name, expected: "one of \(routable) (affinity needs a pool per task)") { settings, node in
            guard let value = ValueParser.selector(node), value != .affinity else { return false }
            settings[keyPath: field] = value
            return true
        }
    }
}

extension Settings {
    /// Every key a settings file, the environment or a flag may set.
    static let keys: [SettingsKey] = [
        .bool("workers_enabled", \.workersEnabled),
        .int("max_concurrent_workers", \.maxConcurrentWorkers, minimum: 1),
        .string("worker_default_type", \.workerDefaultType),
        .seconds("worker_timeout_seconds", \.workerTimeoutSeconds),
        .bool("pools_enabled", \.poolsEnabled),
        .string("default_pool_type", \.defaultPoolType),
        .selector("pool_routing_strategy", \.poolRoutingStrategy),
        .int("pool_default_min_workers", \.poolDefaultMinWorkers, minimum: 1),
        .int("pool_default_max_workers", \.poolDefaultMaxWorkers, minimum: 1),
        .bool("memory_aggregation_enabled", \.memoryAggregationEnabled),
        .seconds("memory_sync_interval", \.memorySyncInterval, maximum: 60),
        .endpoint("broker_frontend", \.brokerFrontend),
        .endpoint("broker_backend", \.brokerBackend),
        .int("broker_queue_bound", \.brokerQueueBound, minimum: 0),
        .bytes("broker_queue_bytes", \.brokerQueueBytes, minimum: 0),
        .bytes("max_task_bytes", \.maxTaskBytes, minimum: 1 << 10),
        .bytes("max_result_bytes", \.maxResultBytes, minimum: 1 << 10),
        .int("producer_high_water_mark", \.producerHighWaterMark, minimum: 1),
        .int("heartbeat_interval_ms", \.heartbeatIntervalMs, minimum: 10),
        .int("heartbeat_liveness", \.heartbeatLiveness, minimum: 1),
        .int("task_retry_budget", \.taskRetryBudget, minimum: 0),
        .seconds("affinity_wait_seconds", \.affinityWaitSeconds),
        .int("result_cache_size", \.resultCacheSize, minimum: 0),
        .bytes("result_cache_bytes", \.resultCacheBytes, minimum: 0),
        .journalMode("journal_mode", \.journalMode),
        .path("journal_path", \.journalPath),
        .seconds("journal_retention_seconds", \.journalRetentionSeconds),
        .pairRole("broker_role", \.brokerRole),
        .optionalEndpoint("broker_peer", \.brokerPeer),
        .endpoint("broker_pair_bind", \.brokerPairBind),
        .int("broker_peer_timeout_ms", \.brokerPeerTimeoutMs, minimum: 100),
        .seconds("autoscale_cooldown_seconds", \.autoscaleCooldownSeconds),
        .seconds("client_retry_interval_seconds", \.clientRetryIntervalSeconds),
        .path("broker_keys_dir", \.brokerKeysDir),
        .path("broker_allow_list", \.brokerAllowList),
        .path("client_keys_dir", \.clientKeysDir),
        .path("workflow_database", \.workflowDatabase),
        .endpoint("broker_bus_pub", \.brokerBusPub),
        .endpoint("broker_bus_sub", \.brokerBusSub),
        .httpAddress("broker_http", \.brokerHTTP),
        .path("broker_http_token", \.brokerHTTPToken),
        .int("bus_high_water_mark", \.busHighWaterMark, minimum: 1),
        .string("memory_database_path", \.memoryDatabasePath),
        .int("memory_batch_size", \.memoryBatchSize, minimum: 1),
    ]

    /// The names of every key, in documentation order.
    public static var keyNames: [String] { keys.map(\.name) }

    /// Checks rules that span keys; the error names the key to change.
    func validateCombination(source: String) throws(ConfigurationError) {
        if (brokerKeysDir == nil) != (brokerAllowList == nil) {
            throw ConfigurationError(source: source, key: brokerKeysDir == nil ? "broker_keys_dir" : "broker_allow_list",
                                     message: "broker_keys_dir and broker_allow_list go together: CURVE needs both the broker's keys and the allowed public keys")
        }
        if brokerRole != nil, brokerPeer == nil {
            throw ConfigurationError(source: source, key: "broker_peer",
                                     message: "broker_role \(brokerRole!.rawValue) needs broker_peer: the other broker's pair endpoint (its broker_pair_bind)")
        }
        if brokerRole != nil, journalMode == .off {
            throw ConfigurationError(source: source, key: "journal_mode",
                                     message: "off cannot be used with broker_role: the active broker streams its journal to the passive; use crash or fsync")
        }
        if poolDefaultMinWorkers > poolDefaultMaxWorkers {
            throw ConfigurationError(source: source, key: "pool_default_min_workers",
                                     message: "\(poolDefaultMinWorkers) is more than pool_default_max_workers (\(poolDefaultMaxWorkers)); min must not exceed max")
        }
        if brokerQueueBytes > 0 && brokerQueueBytes < maxTaskBytes {
            throw ConfigurationError(source: source, key: "broker_queue_bytes",
                                     message: "\(ByteSize.describe(brokerQueueBytes)) is less than max_task_bytes (\(ByteSize.describe(maxTaskBytes))): a task of the largest accepted size could never wait; raise broker_queue_bytes or lower max_task_bytes")
        }
        if workerTypes[workerDefaultType] == nil {
            throw ConfigurationError(source: source, key: "worker_default_type", message: WorkerTypeCatalog.unknownTypeMessage(workerDefaultType, defined: workerTypes.names))
        }
    }
}
