import Foundation
import Yams

/// A deployment: where the broker listens and which pools it starts (`topology/*.yaml`).
public struct Topology: Sendable, Equatable {
    /// The `broker:` section.
    public struct Broker: Sendable, Equatable {
        /// Producers and the CLI connect here.
        public var frontend: String
        /// Pools connect here.
        public var backend: String
        /// Bus publishers connect here (the broker's XSUB), if the bus is configured.
        public var busPub: String?
        /// Bus subscribers connect here (the broker's XPUB), if the bus is configured.
        public var busSub: String?
        /// Directory with the broker's CURVE keys, relative to the topology file; with `allow`.
        public var keys: String?
        /// The allow-list file, relative to the topology file; with `keys`.
        public var allow: String?
        /// `pair:`: a primary/backup pair instead of one broker (docs/failover.md).
        public var pair: Pair? = nil
    }

    /// The `broker.pair:` section: each broker's pair endpoint. The primary serves the broker
    /// section's endpoints; the backup the same ports on its pair endpoint's host.
    public struct Pair: Sendable, Equatable {
        public var primary: String
        public var backup: String
    }

    /// One entry of the `pools:` list.
    public struct Pool: Sendable, Equatable {
        public var name: String
        public var type: String
        public var minWorkers: Int
        public var maxWorkers: Int
        public var workerType: String
        /// The broker grows and shrinks the pool between min and max workers.
        public var autoScale: Bool
        /// For a `session-buddy` pool: the delegate service (a name under `delegates:`); `nil` for the only one defined.
        public var delegate: String? = nil
        /// Where a rendered deployment runs it (a systemd host); `nil`: the broker's host.
        public var host: String? = nil
        /// Its CURVE key directory (id.public, id.secret, broker.public), relative to the topology file.
        public var keys: String? = nil
    }

    public var broker: Broker
    public var pools: [Pool]
    /// `deploy:`: what `mahavishnu deploy render` needs beyond the processes.
    public var deploy = Deploy()

    /// The built-in default, identical to `topology/local.yaml` (a test keeps them in step).
    public static let defaultYAML = """
        # One host, two pools of echo workers: what `mahavishnu up` runs with no --topology.
        broker:
          frontend: tcp://127.0.0.1:5555   # producers and the CLI connect here
          backend: tcp://127.0.0.1:5556    # pools connect here
        pools:
          - name: local
            type: mahavishnu
            min_workers: 3
            max_workers: 10
            worker_type: echo
          - name: heavy
            type: mahavishnu
            min_workers: 2
            max_workers: 5
            worker_type: echo

        """

    /// Reads a topology file; pool fields it leaves out come from `settings`.
    public static func load(file: String, settings: Settings) throws(ConfigurationError) -> Topology {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(source: file, key: "(file)", message: "cannot read the topology file: \(error.localizedDescription)")
        }
        return try parse(text, source: file, settings: settings)
    }

    /// Parses a topology document; pool fields it leaves out come from `settings`.
    public static func parse(_ yaml: String, source: String, settings: Settings) throws(ConfigurationError) -> Topology {
        let document = try YAMLFields.document(yaml, source: source)
        try document.rejectUnknownKeys(["broker", "pools", "deploy"])
        let directory = URL(fileURLWithPath: source).deletingLastPathComponent()
        guard let brokerNode = document.value("broker") else {
            throw ConfigurationError(source: source, key: "broker", message: "missing: a topology needs a broker section with frontend and backend")
        }
        let broker = try parseBroker(YAMLFields(brokerNode, source: source, path: "broker"), relativeTo: directory)
        var pools: [Pool] = []
        if let poolsNode = document.value("pools"), poolsNode.null == nil {
            guard case .sequence(let entries) = poolsNode else {
                throw ConfigurationError(source: document.location(of: "pools"), key: "pools", message: "expected a list of pools")
            }
            for (index, entry) in entries.enumerated() {
                let pool = try parsePool(YAMLFields(entry, source: source, path: "pools[\(index)]"), settings: settings, relativeTo: directory)
                if pools.contains(where: { $0.name == pool.name }) {
                    throw ConfigurationError(source: YAMLFields.locate(source, entry), key: "pools[\(index)].name", message: "'\(pool.name)' is used by another pool; names must be unique")
                }
                pools.append(pool)
            }
        }
        let deploy = try document.value("deploy").map { node throws(ConfigurationError) in
            try Deploy.parse(YAMLFields(node, source: source, path: "deploy"), relativeTo: directory)
        } ?? Deploy()
        return Topology(broker: broker, pools: pools, deploy: deploy)
    }

    private static func parseBroker(_ fields: YAMLFields, relativeTo directory: URL) throws(ConfigurationError) -> Broker {
        try fields.rejectUnknownKeys(["frontend", "backend", "bus_pub", "bus_sub", "keys", "allow", "pair"])
        let broker = Broker(
            frontend: try fields.endpoint("frontend"), backend: try fields.endpoint("backend"),
            busPub: try fields.optionalEndpoint("bus_pub"), busSub: try fields.optionalEndpoint("bus_sub"),
            keys: try fields.path("keys", relativeTo: directory), allow: try fields.path("allow", relativeTo: directory),
            pair: try fields.value("pair").map { node throws(ConfigurationError) in try parsePair(YAMLFields(node, source: fields.source, path: fields.qualified("pair"))) }
        )
        if (broker.keys == nil) != (broker.allow == nil) {
            throw ConfigurationError(source: fields.source, key: fields.qualified(broker.keys == nil ? "keys" : "allow"), message: "keys and allow go together: CURVE needs the broker's keys and the allowed public keys")
        }
        return broker
    }

    private static func parsePair(_ fields: YAMLFields) throws(ConfigurationError) -> Pair {
        try fields.rejectUnknownKeys(["primary", "backup"])
        let pair = Pair(primary: try fields.endpoint("primary"), backup: try fields.endpoint("backup"))
        for key in ["primary", "backup"] where !(key == "primary" ? pair.primary : pair.backup).hasPrefix("tcp://") {
            throw fields.error(key, "a pair endpoint is tcp://HOST:PORT (the brokers run on two hosts)")
        }
        if pair.primary == pair.backup { throw fields.error("backup", "'\(pair.backup)' is the primary's endpoint too; each broker needs its own") }
        return pair
    }

    private static func parsePool(_ fields: YAMLFields, settings: Settings, relativeTo directory: URL) throws(ConfigurationError) -> Pool {
        try fields.rejectUnknownKeys(["name", "type", "min_workers", "max_workers", "worker_type", "auto_scale", "delegate", "host", "keys"])
        guard let name = fields.value("name").flatMap(ValueParser.string) else {
            throw ConfigurationError(source: fields.source, key: fields.qualified("name"), message: "every pool needs a non-empty name")
        }
        if let problem = PoolNaming.problem(with: name, field: "name") { throw fields.error("name", problem) }
        let pool = Pool(
            name: name,
            type: try fields.string("type") ?? settings.defaultPoolType,
            minWorkers: try fields.count("min_workers") ?? settings.poolDefaultMinWorkers,
            maxWorkers: try fields.count("max_workers") ?? settings.poolDefaultMaxWorkers,
            workerType: try fields.string("worker_type") ?? settings.workerDefaultType,
            autoScale: try fields.bool("auto_scale") ?? false,
            delegate: try fields.string("delegate"),
            host: try fields.string("host"),
            keys: try fields.path("keys", relativeTo: directory)
        )
        try checkDelegate(of: pool, fields, settings: settings)
        if pool.type != PoolConfig.delegatedPoolType, settings.workerTypes[pool.workerType] == nil {
            throw fields.error("worker_type", WorkerTypeCatalog.unknownTypeMessage(pool.workerType, defined: settings.workerTypes.names))
        }
        if pool.minWorkers > pool.maxWorkers {
            throw ConfigurationError(source: fields.location(of: "min_workers"), key: fields.qualified("min_workers"),
                                     message: "\(pool.minWorkers) is more than max_workers (\(pool.maxWorkers)); min must not exceed max")
        }
        if pool.maxWorkers > PoolNaming.maxWorkers {
            throw fields.error("max_workers", "\(pool.maxWorkers) is more than \(PoolNaming.maxWorkers), the most one pool may have; run more pools instead")
        }
        return pool
    }

    /// A `session-buddy` pool names a defined delegate (or there is exactly one); other pools name none.
    private static func checkDelegate(of pool: Pool, _ fields: YAMLFields, settings: Settings) throws(ConfigurationError) {
        guard pool.type == PoolConfig.delegatedPoolType else {
            if pool.delegate != nil { throw fields.error("delegate", "only a \(PoolConfig.delegatedPoolType) pool has a delegate; this pool's type is '\(pool.type)'") }
            return
        }
        do {
            _ = try settings.delegates.resolve(pool.delegate)
        } catch {
            throw fields.error(pool.delegate == nil ? "type" : "delegate", error.description)
        }
    }
}

extension YAMLFields {
    func endpoint(_ key: String) throws(ConfigurationError) -> String {
        guard let endpoint = try optionalEndpoint(key) else {
            throw ConfigurationError(source: source, key: qualified(key), message: "missing: expected tcp://HOST:PORT, ipc://PATH or inproc://NAME")
        }
        return endpoint
    }

    func optionalEndpoint(_ key: String) throws(ConfigurationError) -> String? {
        guard let text = try string(key) else { return nil }
        if let problem = validateEndpoint(text) {
            throw ConfigurationError(source: location(of: key), key: qualified(key), message: problem)
        }
        return text
    }

    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let node = value(key) else { return nil }
        guard let text = ValueParser.string(node) else {
            throw ConfigurationError(source: location(of: key), key: qualified(key), message: "expected a non-empty string")
        }
        return text
    }

    /// A path, relative to `directory` (the topology file's) unless absolute.
    func path(_ key: String, relativeTo directory: URL) throws(ConfigurationError) -> String? {
        try string(key).map { URL(fileURLWithPath: $0, relativeTo: directory).standardizedFileURL.path }
    }

    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let node = value(key) else { return nil }
        guard let flag = ValueParser.bool(node) else {
            throw ConfigurationError(source: location(of: key), key: qualified(key), message: "expected true or false, got '\(node.string ?? "?")'")
        }
        return flag
    }

    /// A whole number of at least 1.
    func count(_ key: String) throws(ConfigurationError) -> Int? {
        guard let node = value(key) else { return nil }
        guard let number = ValueParser.int(node), number >= 1 else {
            throw ConfigurationError(source: location(of: key), key: qualified(key), message: "expected a whole number, at least 1, got '\(node.string ?? "?")'")
        }
        return number
    }
}
