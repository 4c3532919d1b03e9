import Foundation
import Testing
@testable import MahavishnuCore

@Suite("Settings: validation and precedence")
struct SettingsTests {
    /// Writes `yaml` to a temporary settings file and returns its path.
    func settingsFile(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("the shipped settings file loads and equals the built-in defaults")
    func shippedFile() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("settings/mahavishnu.yaml").path
        var loaded = try SettingsLoader.load(file: path, environment: [:])
        #expect(loaded.origin.file == path, "settings remember the file they came from")
        #expect(loaded.origin.keys["broker_bus_sub"] == .file)
        loaded.origin = SettingsOrigin()
        #expect(loaded == Settings())
    }

    @Test("a file sets typed values")
    func fileValues() throws {
        let path = try settingsFile("""
            pools_enabled: false
            pool_routing_strategy: round_robin
            pool_default_max_workers: 40
            memory_sync_interval: 2.5
            broker_frontend: tcp://10.0.0.1:7000
            """)
        let settings = try SettingsLoader.load(file: path, environment: [:])
        #expect(settings.poolsEnabled == false)
        #expect(settings.poolRoutingStrategy == .roundRobin)
        #expect(settings.poolDefaultMaxWorkers == 40)
        #expect(settings.memorySyncInterval == 2.5)
        #expect(settings.brokerFrontend == "tcp://10.0.0.1:7000")
    }

    @Test("precedence: flag over environment over file over default")
    func precedence() throws {
        let path = try settingsFile("pool_routing_strategy: random\npool_default_max_workers: 20\nbroker_queue_bound: 5\n")
        let environment = ["MAHAVISHNU_POOL_ROUTING_STRATEGY": "round_robin", "MAHAVISHNU_POOL_DEFAULT_MAX_WORKERS": "30"]
        let settings = try SettingsLoader.load(file: path, environment: environment, flags: ["pool_routing_strategy": "least_loaded"])
        #expect(settings.poolRoutingStrategy == .leastLoaded, "the flag wins")
        #expect(settings.poolDefaultMaxWorkers == 30, "the environment beats the file")
        #expect(settings.brokerQueueBound == 5, "the file beats the default")
        #expect(settings.poolDefaultMinWorkers == Settings().poolDefaultMinWorkers, "the default fills the rest")
    }

    @Test("invalid settings are refused with a message naming the key", arguments: [
        ("pool_routing_stratgy: random", "pool_routing_stratgy", "did you mean 'pool_routing_strategy'"),
        ("pools_enabled: sometimes", "pools_enabled", "expected true or false, got 'sometimes'"),
        ("max_concurrent_workers: many", "max_concurrent_workers", "expected a whole number"),
        ("pool_default_min_workers: 8\npool_default_max_workers: 4", "pool_default_min_workers", "more than pool_default_max_workers (4)"),
        ("pool_routing_strategy: fastest", "pool_routing_strategy", "one of least_loaded, round_robin, random"),
        ("pool_routing_strategy: affinity", "pool_routing_strategy", "affinity needs a pool per task"),
        ("broker_frontend: localhost:5555", "broker_frontend", "expected an endpoint"),
        ("broker_backend: tcp://127.0.0.1:99999", "broker_backend", "expected an endpoint"),
        ("broker_http: 9464", "broker_http", "HOST:PORT (port 0: the OS chooses), or off"),
        ("broker_http: localhost:99999", "broker_http", "HOST:PORT"),
        ("memory_sync_interval: -1", "memory_sync_interval", "greater than 0"),
        ("memory_sync_interval: 61", "memory_sync_interval", "a number of seconds greater than 0 and at most 60, got '61'"),
        ("worker_default_type:\n  nested: true", "worker_default_type", "got a mapping"),
        ("max_task_bytes: 4 parsecs", "max_task_bytes", "KiB, MiB or GiB"),
        ("max_task_bytes: 100", "max_task_bytes", "at least 1 KiB"),
        ("result_cache_bytes: -1 MiB", "result_cache_bytes", "a size of at least 0 bytes"),
        ("broker_queue_bytes: 1 MiB\nmax_task_bytes: 2 MiB", "broker_queue_bytes", "less than max_task_bytes (2 MiB)"),
    ])
    func invalid(yaml: String, key: String, fragment: String) throws {
        let path = try settingsFile(yaml)
        let error = #expect(throws: ConfigurationError.self) { try SettingsLoader.load(file: path, environment: [:]) }
        #expect(error?.key == key)
        #expect(error?.source.hasPrefix(path) == true)
        #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
    }

    @Test("broker_http is HOST:PORT, [IPv6]:PORT or off")
    func httpAddresses() throws {
        #expect(try HTTPListenAddress.parse("127.0.0.1:9464") == HTTPListenAddress(host: "127.0.0.1", port: 9464))
        #expect(try HTTPListenAddress.parse("[::1]:0") == HTTPListenAddress(host: "::1", port: 0))
        #expect(try HTTPListenAddress.parse("off") == nil)
        #expect(try SettingsLoader.load(file: nil, environment: [:], flags: ["broker_http": "off"]).brokerHTTP == "off")
        for bad in ["9464", ":80", "host:port", "::1:80"] {
            #expect(throws: HTTPListenAddressError.self, "\(bad)") { try HTTPListenAddress.parse(bad) }
        }
    }

    @Test("sizes are bytes or a number with a unit, from the file and the environment")
    func sizes() throws {
        let path = try settingsFile("""
            max_task_bytes: 512 KiB
            result_cache_bytes: 2MB
            broker_queue_bytes: 1048576
            """)
        let settings = try SettingsLoader.load(file: path, environment: ["MAHAVISHNU_MAX_RESULT_BYTES": "1 GiB"])
        #expect(settings.maxTaskBytes == 512 << 10)
        #expect(settings.resultCacheBytes == 2_000_000)
        #expect(settings.brokerQueueBytes == 1 << 20)
        #expect(settings.maxResultBytes == 1 << 30)
        #expect(ByteSize.describe(512 << 10) == "512 KiB")
        #expect(ByteSize.describe(1500) == "1500 bytes")
        #expect(ByteSize.parse("9999999999999 GiB") == nil, "an overflow is refused, not wrapped")
    }

    @Test("an invalid environment value names the variable")
    func invalidEnvironment() {
        let error = #expect(throws: ConfigurationError.self) {
            try SettingsLoader.load(file: nil, environment: ["MAHAVISHNU_POOL_DEFAULT_MIN_WORKERS": "zero"])
        }
        #expect(error?.source == "environment variable MAHAVISHNU_POOL_DEFAULT_MIN_WORKERS")
        #expect(error?.key == "pool_default_min_workers")
    }

    @Test("a file that is not YAML, or not a mapping, is refused")
    func notAMapping() throws {
        for yaml in ["- a\n- b\n", "key: [unclosed\n"] {
            let path = try settingsFile(yaml)
            #expect(throws: ConfigurationError.self) { try SettingsLoader.load(file: path, environment: [:]) }
        }
    }

    @Test("the settings file comes from the flag, else MAHAVISHNU_SETTINGS")
    func fileDiscovery() {
        #expect(SettingsLoader.settingsFile(flag: "a.yaml", environment: ["MAHAVISHNU_SETTINGS": "b.yaml"]) == "a.yaml")
        #expect(SettingsLoader.settingsFile(flag: nil, environment: ["MAHAVISHNU_SETTINGS": "b.yaml"]) == "b.yaml")
    }
}

@Suite("Topology files")
struct TopologyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("topology/local.yaml is exactly the built-in default, with two pools")
    func defaultMatchesFile() throws {
        let file = try String(contentsOf: Self.root.appendingPathComponent("topology/local.yaml"), encoding: .utf8)
        #expect(file == Topology.defaultYAML)
        let topology = try Topology.parse(file, source: "local.yaml", settings: Settings())
        #expect(topology.pools.map(\.name) == ["local", "heavy"])
        #expect(topology.broker.frontend == "tcp://127.0.0.1:5555")
    }

    @Test("omitted pool fields come from settings")
    func defaultsFromSettings() throws {
        var settings = Settings()
        settings.poolDefaultMinWorkers = 4
        settings.poolDefaultMaxWorkers = 9
        let topology = try Topology.parse("""
            broker: {frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", bus_pub: "tcp://127.0.0.1:7001"}
            pools: [{name: p}]
            """, source: "t.yaml", settings: settings)
        #expect(topology.pools == [Topology.Pool(name: "p", type: "mahavishnu", minWorkers: 4, maxWorkers: 9, workerType: "echo", autoScale: false)])
        #expect(topology.broker.busPub == "tcp://127.0.0.1:7001")
        #expect(topology.broker.busSub == nil)
    }

    @Test("invalid topologies are refused with the key", arguments: [
        ("pools: []", "broker", "missing"),
        ("broker: {frontend: tcp://127.0.0.1:1}", "broker.backend", "missing"),
        ("broker: {frontend: tcp://127.0.0.1:1, backend: nowhere}", "broker.backend", "expected tcp://"),
        ("broker: {frontend: tcp://127.0.0.1:1, backend: tcp://127.0.0.1:2, port: 3}", "broker.port", "unknown key"),
        ("broker: {frontend: tcp://127.0.0.1:1, backend: tcp://127.0.0.1:2}\npools: [{name: a, min_workers: 5, max_workers: 2}]", "pools[0].min_workers", "min must not exceed max"),
        ("broker: {frontend: tcp://127.0.0.1:1, backend: tcp://127.0.0.1:2}\npools: [{name: a}, {name: a}]", "pools[1].name", "unique"),
        ("broker: {frontend: tcp://127.0.0.1:1, backend: tcp://127.0.0.1:2}\npools: [{min_workers: 1}]", "pools[0].name", "non-empty name"),
        ("broker: {frontend: tcp://127.0.0.1:1, backend: tcp://127.0.0.1:2}\npools: [{name: a, min_wrkers: 1}]", "pools[0].min_wrkers", "did you mean 'min_workers'"),
    ])
    func invalid(yaml: String, key: String, fragment: String) {
        let error = #expect(throws: ConfigurationError.self) { try Topology.parse(yaml, source: "t.yaml", settings: Settings()) }
        #expect(error?.key == key)
        #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
    }
}
