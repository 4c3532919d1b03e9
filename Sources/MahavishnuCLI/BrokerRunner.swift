import Foundation
import MahavishnuBroker
import MahavishnuCore

/// Runs a broker in the foreground for `broker` and `up`: prints where it listens and each pool
/// as it comes and goes, and drains on SIGTERM or Ctrl-C.
enum BrokerRunner {
    static func run(_ base: BrokerConfiguration, logging: LoggingOptions) async throws {
        let logger = logging.bootstrap(label: "mahavishnu.broker")
        var configuration = base
        configuration.onEvent = { event in
            switch event {
            case .poolRegistered(let pool):
                announce("pool ready name=\(pool.name) id=\(pool.poolID) workers=\(pool.workers) pid=\(pool.pid) host=\(pool.host)")
            case .poolRemoved(let poolID, let name, let reason):
                announce("pool stopped name=\(name) id=\(poolID): \(reason)")
            case .spawnFailed(let name, let reason):
                announce("pool failed name=\(name): \(reason)")
            case .draining:
                announce("broker draining: no new tasks; waiting for running tasks and pools to finish")
            }
        }
        let broker = try Broker(configuration: configuration, logger: logger)
        announce("broker ready frontend=\(broker.frontendEndpoint) backend=\(broker.backendEndpoint)")
        try await BlockingLoopService.runUntilSignalled(
            BlockingLoopService(name: "mahavishnu.router", loop: { try broker.run() }, stop: { broker.stop() }),
            logger: logger
        )
        announce("broker stopped")
    }
}

extension BrokerConfiguration {
    /// A configuration from settings, able to start pools with this very executable.
    init(settings: Settings, settingsFile: String?) {
        self.init()
        frontend = settings.brokerFrontend
        backend = settings.brokerBackend
        queueBound = settings.brokerQueueBound
        defaultSelector = settings.poolRoutingStrategy
        workerTypeNames = settings.workerTypes.names
        poolExecutable = currentExecutable()
        self.settingsFile = settingsFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }
}

/// This process's executable, so the broker can start pools with the same build.
func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}
