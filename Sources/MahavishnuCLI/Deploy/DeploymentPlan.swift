import Foundation
import MahavishnuCommandCore
import MahavishnuCore

/// A topology resolved into the processes a rendered deployment runs, whatever the target:
/// each broker (one, or a pair's two) with its ports, each pool with its host, and the key and
/// settings files they read. Everything a target would only find wrong at run time is refused here.
struct DeploymentPlan {
    /// One broker process: alone (`role == nil`) or one of a pair.
    struct Broker {
        /// `mahavishnu-broker`, or `mahavishnu-broker-primary` / `-backup`.
        let name: String
        let role: PairRole?
        /// Where it runs (the topology's address for it).
        let host: String
        /// Its pair socket's port, in a pair.
        let pairPort: Int?
    }

    /// The ports every broker listens on (a pair's backup uses the primary's).
    struct Ports {
        let frontend: Int
        let backend: Int
        let busPub: Int?
        let busSub: Int?
    }

    /// A key file's name and text, to be installed in a key directory.
    struct KeyFile {
        let name: String
        let text: String
    }

    let topology: Topology
    let ports: Ports
    /// The primary first.
    let brokers: [Broker]
    /// The broker's CURVE key directory's files and the allow list; empty without CURVE.
    let brokerKeys: [KeyFile]
    /// Each pool's key directory's files, by pool name; empty without CURVE.
    let poolKeys: [String: [KeyFile]]
    /// The probes' key directory's files; empty without CURVE.
    let probeKeys: [KeyFile]
    /// The settings file every process reads, and its text; `nil`: built-in defaults.
    let settings: (path: String, text: String)?

    var curve: Bool { !brokerKeys.isEmpty }
    var deploy: Topology.Deploy { topology.deploy }

    /// Resolves `topology`; `needsCURVE`: the target's brokers listen beyond loopback whatever the topology says.
    init(topology: Topology, settingsFile: String?, needsCURVE: Bool) throws {
        self.topology = topology
        let broker = topology.broker
        let frontend = try Self.tcp(broker.frontend, key: "broker.frontend")
        ports = Ports(frontend: frontend.port, backend: try Self.tcp(broker.backend, key: "broker.backend").port,
                      busPub: try broker.busPub.map { try Self.tcp($0, key: "broker.bus_pub").port },
                      busSub: try broker.busSub.map { try Self.tcp($0, key: "broker.bus_sub").port })
        if let pair = broker.pair {
            let primary = try Self.tcp(pair.primary, key: "broker.pair.primary")
            let backup = try Self.tcp(pair.backup, key: "broker.pair.backup")
            guard primary.host == frontend.host else {
                throw CLIError("broker.pair.primary: '\(pair.primary)' is on host \(primary.host), but the primary serves broker.frontend on \(frontend.host); put both on one host")
            }
            guard backup.host != primary.host else {
                throw CLIError("broker.pair.backup: '\(pair.backup)' is on the primary's host \(primary.host); a pair that shares a host fails together — put the backup on another host")
            }
            brokers = [Broker(name: "mahavishnu-broker-primary", role: .primary, host: primary.host, pairPort: primary.port),
                       Broker(name: "mahavishnu-broker-backup", role: .backup, host: backup.host, pairPort: backup.port)]
        } else {
            brokers = [Broker(name: "mahavishnu-broker", role: nil, host: frontend.host, pairPort: nil)]
        }

        let loopbackOnly = !needsCURVE && brokers.allSatisfy { ["127.0.0.1", "localhost", "[::1]"].contains($0.host) }
        guard let keys = broker.keys, let allow = broker.allow else {
            if loopbackOnly { (brokerKeys, poolKeys, probeKeys) = ([], [:], []); settings = try Self.settings(settingsFile); return }
            throw CLIError("broker.keys: missing: these brokers listen beyond loopback, which needs CURVE; make keys with `mahavishnu keys generate` and set broker.keys and broker.allow (docs/security.md)")
        }
        brokerKeys = try Self.keyFiles(in: keys, ["broker.public", "broker.secret"], key: "broker.keys") + [KeyFile(name: "allow.yaml", text: try Self.read(allow, key: "broker.allow"))]
        var poolKeys: [String: [KeyFile]] = [:]
        for (index, pool) in topology.pools.enumerated() {
            guard let directory = pool.keys else {
                throw CLIError("pools[\(index)].keys: missing: with CURVE every pool needs its key directory (id.public, id.secret, broker.public), its public key in broker.allow under pool")
            }
            poolKeys[pool.name] = try Self.keyFiles(in: directory, ["id.public", "id.secret", "broker.public"], key: "pools[\(index)].keys")
        }
        self.poolKeys = poolKeys
        guard let probe = topology.deploy.probeKeys else {
            throw CLIError("deploy.probe_keys: missing: with CURVE the health probes need a key directory (id.public, id.secret, broker.public), its public key in broker.allow under producer")
        }
        probeKeys = try Self.keyFiles(in: probe, ["id.public", "id.secret", "broker.public"], key: "deploy.probe_keys")
        settings = try Self.settings(settingsFile)
    }

    /// The pools, each with the host it runs on (its own, else the primary broker's).
    var pools: [(pool: Topology.Pool, host: String)] {
        topology.pools.map { ($0, $0.host ?? brokers[0].host) }
    }

    // MARK: - Command lines

    /// Where a target puts the files the processes read.
    struct Paths: Sendable {
        let settings: String
        let brokerKeys: String
        let journal: String
        let probeKeys: String
        let poolKeys: @Sendable (String) -> String
    }

    /// `mahavishnu broker …` for `broker`, listening on `bindHost`, its peer at `peerAddress`.
    func brokerArguments(_ broker: Broker, bindHost: String, peerAddress: String?, paths: Paths) -> [String] {
        var arguments = ["broker", "--frontend", "tcp://\(bindHost):\(ports.frontend)", "--backend", "tcp://\(bindHost):\(ports.backend)"]
        if let port = ports.busPub { arguments += ["--bus-pub", "tcp://\(bindHost):\(port)"] }
        if let port = ports.busSub { arguments += ["--bus-sub", "tcp://\(bindHost):\(port)"] }
        if let role = broker.role, let port = broker.pairPort, let peerAddress, let peer = brokers.first(where: { $0.role != role }), let peerPort = peer.pairPort {
            arguments += ["--role", role.rawValue, "--pair-bind", "tcp://\(bindHost):\(port)", "--peer", "tcp://\(peerAddress):\(peerPort)"]
        }
        if curve { arguments += ["--keys", paths.brokerKeys, "--allow", "\(paths.brokerKeys)/allow.yaml"] }
        arguments += ["--journal", paths.journal]
        if settings != nil { arguments += ["--settings", paths.settings] }
        return arguments
    }

    /// `mahavishnu-pool …` for `pool`, reaching the brokers at `brokerAddresses` (the primary first).
    func poolArguments(_ pool: Topology.Pool, brokerAddresses: [String], paths: Paths) -> [String] {
        var arguments = ["--name", pool.name, "--type", pool.type, "--min", "\(pool.minWorkers)", "--max", "\(pool.maxWorkers)", "--worker-type", pool.workerType]
        if let delegate = pool.delegate { arguments += ["--delegate", delegate] }
        if pool.autoScale { arguments.append("--auto-scale") }
        arguments += ["--broker", brokerAddresses.map { "tcp://\($0):\(ports.backend)" }.joined(separator: ","),
                      "--frontend", "tcp://\(brokerAddresses[0]):\(ports.frontend)"]
        // The bus does not fail over (docs/failover.md): pools use the primary's.
        if let port = ports.busPub { arguments += ["--bus-pub", "tcp://\(brokerAddresses[0]):\(port)"] }
        if let port = ports.busSub { arguments += ["--bus-sub", "tcp://\(brokerAddresses[0]):\(port)"] }
        if curve { arguments += ["--keys", paths.poolKeys(pool.name)] }
        if settings != nil { arguments += ["--settings", paths.settings] }
        return arguments
    }

    /// `mahavishnu pool health …` against `frontends`: what the probes run.
    func probeCommand(_ executable: String, frontends: [String], paths: Paths) -> [String] {
        var command = [executable, "pool", "health", "--broker", frontends.joined(separator: ",")]
        if curve { command += ["--keys", paths.probeKeys] }
        if settings != nil { command += ["--settings", paths.settings] }
        return command
    }

    // MARK: - Checks

    private static func tcp(_ endpoint: String, key: String) throws -> (host: String, port: Int) {
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]) else {
            throw CLIError("\(key): '\(endpoint)' is not tcp://HOST:PORT with a fixed port; a rendered deployment needs the port its peers connect to")
        }
        let host = String(endpoint[endpoint.index(endpoint.startIndex, offsetBy: 6)..<colon])
        guard !["*", "0.0.0.0", "[::]"].contains(host) else {
            throw CLIError("\(key): '\(endpoint)' names no host others can reach; give the host's address (it is also where pools and producers connect)")
        }
        return (host, port)
    }

    private static func keyFiles(in directory: String, _ names: [String], key: String) throws -> [KeyFile] {
        try names.map { KeyFile(name: $0, text: try read("\(directory)/\($0)", key: key)) }
    }

    private static func read(_ path: String, key: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CLIError("\(key): cannot read \(path): \(error.localizedDescription)")
        }
    }

    private static func settings(_ file: String?) throws -> (path: String, text: String)? {
        try file.map { ($0, try read($0, key: "--settings")) }
    }
}
