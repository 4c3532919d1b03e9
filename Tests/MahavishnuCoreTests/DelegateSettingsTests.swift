import Foundation
import Testing
@testable import MahavishnuCore

@Suite("Settings: delegates and caller_quota; session-buddy pools in topologies and spawn requests")
struct DelegateSettingsTests {
    func load(_ yaml: String) throws -> Settings {
        try SettingsLoader.load(file: SettingsTests().settingsFile(yaml), environment: [:])
    }

    @Test("delegates are a command started over stdio or an HTTP URL, by name")
    func delegates() throws {
        let settings = try load("""
            delegates:
              buddy:
                command: [mahavishnu, mcp, --broker, "tcp://127.0.0.1:5555"]
                environment: {MAHAVISHNU_LOG: debug}
                start_timeout_seconds: 5
              remote:
                url: http://127.0.0.1:8080/mcp
            """)
        #expect(settings.delegates.names == ["buddy", "remote"])
        #expect(settings.delegates["buddy"] == DelegateDefinition(endpoint: .command(["mahavishnu", "mcp", "--broker", "tcp://127.0.0.1:5555"]), environment: ["MAHAVISHNU_LOG": "debug"], startTimeoutSeconds: 5))
        #expect(settings.delegates["remote"]?.endpoint == .url("http://127.0.0.1:8080/mcp"))
        #expect(try settings.delegates.resolve("remote").name == "remote")
        #expect(throws: DelegateResolutionError.self) { try settings.delegates.resolve(nil) }
    }

    @Test("an invalid delegate is refused naming the dotted key", arguments: [
        ("delegates:\n  b:\n    command: [x]\n    url: http://h/mcp", "delegates.b.url", "not both"),
        ("delegates:\n  b:\n    environment: {A: b}", "delegates.b.command", "missing"),
        ("delegates:\n  b:\n    url: ftp://h/mcp", "delegates.b.url", "http:// or https://"),
        ("delegates:\n  b:\n    url: http://h/mcp\n    environment: {A: b}", "delegates.b.environment", "command delegate only"),
        ("delegates:\n  b:\n    command: [x]\n    shell: true", "delegates.b.shell", "unknown key"),
        ("delegates:\n  'a b':\n    command: [x]", "delegates.a b", "letters, digits"),
    ])
    func invalidDelegates(yaml: String, key: String, message: String) throws {
        let error = try #require(throws: ConfigurationError.self) { try load(yaml) }
        #expect(error.key == key)
        #expect(error.message.contains(message), "\(error)")
    }

    @Test("caller_quota sets the MCP server's rate limit; bad values are refused")
    func callerQuota() throws {
        #expect(try load("caller_quota: {enabled: true, limit: 3, window_seconds: 1.5}").callerQuota == CallerQuota(enabled: true, limit: 3, windowSeconds: 1.5))
        #expect(try load("pools_enabled: true").callerQuota == CallerQuota())
        let zero = try #require(throws: ConfigurationError.self) { try load("caller_quota: {enabled: true, limit: 0}") }
        #expect(zero.key == "caller_quota.limit")
        let unknown = try #require(throws: ConfigurationError.self) { try load("caller_quota: {enabled: true, per_minute: 5}") }
        #expect(unknown.key == "caller_quota.per_minute")
    }

    @Test("a topology's session-buddy pool names a defined delegate; other pools name none")
    func topologyDelegates() throws {
        let settings = try load("delegates:\n  buddy:\n    command: [mahavishnu, mcp]\n  other:\n    url: http://h/mcp\n")
        func parse(_ pool: String) throws -> Topology {
            try Topology.parse("broker: {frontend: tcp://127.0.0.1:1, backend: tcp://127.0.0.1:2}\npools:\n  - \(pool)\n", source: "t.yaml", settings: settings)
        }
        let pool = try parse("{name: sb, type: session-buddy, delegate: buddy, worker_type: remote-only-type}").pools[0]
        #expect(pool.delegate == "buddy", "a delegated pool's worker type is the service's, not checked here")
        let ambiguous = try #require(throws: ConfigurationError.self) { try parse("{name: sb, type: session-buddy}") }
        #expect(ambiguous.key == "pools[0].type" && ambiguous.message.contains("buddy, other"))
        let unknown = try #require(throws: ConfigurationError.self) { try parse("{name: sb, type: session-buddy, delegate: nope}") }
        #expect(unknown.key == "pools[0].delegate" && unknown.message.contains("unknown delegate 'nope'"))
        let misplaced = try #require(throws: ConfigurationError.self) { try parse("{name: a, delegate: buddy}") }
        #expect(misplaced.key == "pools[0].delegate")
    }

    @Test("a spawn request's delegate goes with session-buddy pools only")
    func spawnRequests() {
        #expect(PoolConfig(name: "sb", poolType: "session-buddy", minWorkers: 1, maxWorkers: 2, workerType: "x", delegate: "buddy").problem() == nil)
        #expect(PoolConfig(name: "a", poolType: "mahavishnu", minWorkers: 1, maxWorkers: 2, workerType: "echo", delegate: "buddy").problem()?.contains("session-buddy pools only") == true)
        #expect(!PoolConfig(name: "sb", poolType: "session-buddy", minWorkers: 1, maxWorkers: 2, workerType: "x").runsLocalWorkerType)
    }
}
