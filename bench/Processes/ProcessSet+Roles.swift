import Foundation

/// The endpoints of a broker the bench started.
struct BrokerEndpoints {
    let process: BenchChild
    let frontend: String
    let backend: String
    /// The message bus: publishers connect to `busPub`, subscribers to `busSub`.
    let busPub: String
    let busSub: String
    /// The HTTP listener (`/metrics`, the dashboard), `host:port`; `nil` for a build without one.
    let http: String?
}

/// The journal a bench broker keeps: none, or `mode` (`crash`, `fsync`) in `file`.
enum BenchJournal {
    case off
    case on(mode: String, file: URL)

    var arguments: [String] {
        switch self {
        case .off: ["--journal-mode", "off"]
        case .on(let mode, let file): ["--journal-mode", mode, "--journal", file.path]
        }
    }
}

/// Starting each kind of process a scenario measures, and reading its endpoints back.
extension ProcessSet {
    /// A real broker (`mahavishnu broker`) on ports the OS picks, bus included, or on the
    /// endpoints of `previous` (a broker started again).
    ///
    /// With `memoryDatabase` it stores every finished task's result there (memory aggregation,
    /// as shipped), starting from an empty database; without, it only routes. It keeps `journal`
    /// (none by default, so scenarios measure routing alone; `journal` measures the journal).
    /// `arguments` go to `mahavishnu broker` as well (`--settings FILE`, say). The broker is
    /// `build`'s (this bench's own by default).
    func startBroker(memoryDatabase: URL? = nil, journal: BenchJournal = .off, successorOf previous: BrokerEndpoints? = nil,
                     arguments: [String] = [], build: MahavishnuBuild? = nil) throws -> BrokerEndpoints {
        var memory = ["--no-memory"]
        if let memoryDatabase {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: memoryDatabase.path + suffix) }
            memory = ["--memory", "--memory-database", memoryDatabase.path]
        }
        let endpoints = previous.map { [$0.frontend, $0.backend, $0.busPub, $0.busSub] } ?? Array(repeating: "tcp://127.0.0.1:*", count: 4)
        let build = build ?? ownBuild
        let (child, fields) = try start("broker", executable: build.brokerExecutable, [
            "broker", "--frontend", endpoints[0], "--backend", endpoints[1], "--bus-pub", endpoints[2], "--bus-sub", endpoints[3],
        ] + (build.brokerExecutable == ownBuild.brokerExecutable ? ["--http", "127.0.0.1:0"] : []) + memory + journal.arguments + arguments, ready: "broker ready")
        guard let frontend = fields["frontend"], let backend = fields["backend"], let busPub = fields["bus_pub"], let busSub = fields["bus_sub"] else {
            throw BenchError("the broker's ready line has no endpoints; see \(child.logFile.path)")
        }
        return BrokerEndpoints(process: child, frontend: frontend, backend: backend, busPub: busPub, busSub: busSub, http: fields["http"])
    }

    /// A real pool process, `mahavishnu-pool` as a broker starts it, with `workers` echo workers;
    /// registered when this returns. It drains and exits if the bench dies. It is `build`'s
    /// (this bench's own by default).
    @discardableResult
    func startPool(name: String, workers: Int, broker: BrokerEndpoints, build: MahavishnuBuild? = nil) throws -> BenchChild {
        try start("pool \(name)", executable: (build ?? ownBuild).poolExecutable, [
            "--name", name, "--id", "pool_\(name)", "--min", "\(workers)", "--max", "\(workers)",
            "--worker-type", "echo", "--broker", broker.backend, "--bus-pub", broker.busPub, "--bus-sub", broker.busSub, "--exit-with-parent",
        ], ready: "pool ready").child
    }

    /// `count` fake pools in one process (see `FakePoolSet`), all registered when this returns.
    @discardableResult
    func startFakePools(count: Int, workers: Int, broker: BrokerEndpoints, prefix: String = "fake", partials: Int = 0) throws -> BenchChild {
        try start("fake-pools \(count)x\(workers)", role: ChildRole.fakePools, [
            "--broker", broker.backend, "--count", "\(count)", "--workers", "\(workers)", "--prefix", prefix, "--partials", "\(partials)",
        ], ready: "fake-pools ready").child
    }

    /// An echo ROUTER; returns the endpoint it bound.
    func startEchoServer(name: String) throws -> String {
        let (child, fields) = try start(name, role: ChildRole.echoServer, ["--bind", "tcp://127.0.0.1:*"], ready: "echo ready")
        guard let endpoint = fields["endpoint"] else { throw BenchError("\(name) printed no endpoint; see \(child.logFile.path)") }
        return endpoint
    }

    /// The C credit broker with `workers` C echo workers of `credits` each, all connected when
    /// this returns; returns where producers connect and the broker's pid.
    func startCBroker(workers: Int, credits: Int) throws -> (frontend: String, pid: pid_t) {
        let (broker, fields) = try start("c broker", executable: floorExecutable, ["broker", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"], ready: "cbroker ready")
        guard let frontend = fields["frontend"], let backend = fields["backend"] else { throw BenchError("the C broker printed no endpoints; see \(broker.logFile.path)") }
        for index in 0..<workers {
            try start("c worker \(index)", executable: floorExecutable, ["worker", backend, "\(credits)"], ready: "cworker ready")
        }
        return (frontend, broker.pid)
    }

    /// libzmq's `zmq_proxy` in front of `backends`; returns the frontend endpoint producers connect to.
    func startZMQProxy(backends: [String]) throws -> String {
        let (child, fields) = try start("zmq-proxy", role: ChildRole.zmqProxy, backends.flatMap { ["--backend", $0] }, ready: "proxy ready")
        guard let endpoint = fields["frontend"] else { throw BenchError("zmq-proxy printed no endpoint; see \(child.logFile.path)") }
        return endpoint
    }
}
