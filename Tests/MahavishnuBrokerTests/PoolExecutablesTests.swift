import Logging
import MahavishnuCore
import Testing
@testable import MahavishnuBroker

@Suite("The executables the broker starts pools with")
struct PoolExecutablesTests {
    @Test("mahavishnu-pool runs pools with local workers, mahavishnu pool run the session-buddy ones")
    func commandByPoolType() {
        let executables = PoolExecutables(besideMahavishnu: "/opt/mahavishnu/bin/mahavishnu")
        #expect(executables.pool == "/opt/mahavishnu/bin/mahavishnu-pool")
        let local = PoolConfig(name: "local", poolType: "mahavishnu", minWorkers: 1, maxWorkers: 2, workerType: "echo")
        #expect(executables.command(for: local) == ("/opt/mahavishnu/bin/mahavishnu-pool", []))
        let delegated = PoolConfig(name: "buddy", poolType: PoolConfig.delegatedPoolType, minWorkers: 1, maxWorkers: 2, workerType: "worker")
        #expect(executables.command(for: delegated) == ("/opt/mahavishnu/bin/mahavishnu", ["pool", "run"]))
    }

    @Test("a missing mahavishnu-pool fails the spawn with its path")
    func missingPoolExecutable() {
        let executables = PoolExecutables(besideMahavishnu: "/nonexistent/bin/mahavishnu")
        let supervisor = PoolSupervisor(executables: executables, broker: PoolLaunchSpec.Broker(backend: "tcp://127.0.0.1:1"), settingsFile: nil, childEnvironment: [:], logger: Logger(label: "test"))
        let request = PoolConfig(name: "local", poolType: "mahavishnu", minWorkers: 1, maxWorkers: 1, workerType: "echo")
        let error = #expect(throws: MissingPoolExecutable.self) { try supervisor.start(request, poolID: "pool_local") }
        #expect(error?.description.hasPrefix("no executable at /nonexistent/bin/mahavishnu-pool;") == true)
        #expect(supervisor.isChild("pool_local") == false)
    }
}
