@testable import MahavishnuCommandCore
import MahavishnuCore
@testable import MahavishnuPoolCommand
import Testing

/// The command line a broker builds for a pool is the one the pool command parses, option by option.
@Suite("Pool launch spec")
struct PoolLaunchSpecTests {
    @Test("every field a broker sets reaches the pool command's options")
    func everyField() throws {
        var spec = PoolLaunchSpec(
            poolID: "pool_7", pool: PoolConfig(name: "buddy", poolType: "session-buddy", minWorkers: 2, maxWorkers: 6, workerType: "claude", autoScale: true, delegate: "assistant"),
            broker: PoolLaunchSpec.Broker(backend: "tcp://127.0.0.1:6001", frontend: "tcp://127.0.0.1:6000", busPublish: "tcp://127.0.0.1:6002", busSubscribe: "tcp://127.0.0.1:6003"),
            settingsFile: "/etc/mahavishnu.yaml"
        )
        var options = try PoolRunOptions.parse(spec.arguments)
        #expect(options.id == "pool_7" && options.name == "buddy" && options.type == "session-buddy")
        #expect(options.min == 2 && options.max == 6 && options.workerType == "claude" && options.delegate == "assistant")
        #expect(options.broker == "tcp://127.0.0.1:6001" && options.frontend == "tcp://127.0.0.1:6000")
        #expect(options.bus.settingsFlags == ["broker_bus_pub": "tcp://127.0.0.1:6002", "broker_bus_sub": "tcp://127.0.0.1:6003"])
        #expect(options.settingsOptions.settings == "/etc/mahavishnu.yaml")
        #expect(options.exitWithParent && options.autoScale)

        spec.pool = PoolConfig(name: "plain")
        spec.broker = PoolLaunchSpec.Broker(backend: "tcp://127.0.0.1:6001")
        spec.settingsFile = nil
        spec.exitWithParent = false
        options = try PoolRunOptions.parse(spec.arguments)
        #expect(options.delegate == nil && options.frontend == nil && options.bus.settingsFlags.isEmpty && options.settingsOptions.settings == nil)
        #expect(!options.exitWithParent && !options.autoScale)
    }
}
