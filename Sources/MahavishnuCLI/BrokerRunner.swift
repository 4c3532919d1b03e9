import Foundation
import MahavishnuBroker
import Logging
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
            case .poolLost(let poolID, let name, let reason):
                announce("pool lost name=\(name) id=\(poolID): \(reason)")
            case .poolScaled(let poolID, let name, let from, let to, let reason):
                announce("pool scaled name=\(name) id=\(poolID) from=\(from) to=\(to): \(reason)")
            case .poolRestarting(let poolID, let name, let after):
                announce("pool restarting name=\(name) id=\(poolID) in \(after)")
            case .draining:
                announce("broker draining: no new tasks; waiting for running tasks and pools to finish")
            }
        }
        if configuration.insecure && configuration.security == nil {
            logger.warning("running with --insecure: endpoints are not encrypted and anyone who can reach them can submit tasks and register pools; see docs/security.md")
        }
        let broker = try Broker(configuration: configuration, logger: logger)
        let reloader = reloadOnHangUp(broker, logger: logger)
        defer { reloader.cancel() }
        let ready = "broker ready frontend=\(broker.frontendEndpoint) backend=\(broker.backendEndpoint)\(configuration.security == nil ? "" : " curve=on")"
        try await BlockingLoopService.runUntilSignalled(
            BlockingLoopService(name: "mahavishnu.router", loop: { try broker.run() }, stop: { broker.stop() }, started: { announce(ready) }),
            logger: logger
        )
        announce("broker stopped")
    }
}

/// Reloads the broker's allow-list whenever the process receives SIGHUP.
private func reloadOnHangUp(_ broker: Broker, logger: Logger) -> any DispatchSourceSignal {
    signal(SIGHUP, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
    source.setEventHandler {
        do {
            try broker.reloadAllowList()
            announce("allow-list reloaded")
        } catch {
            logger.error("allow-list not reloaded; the previous one stays in force", metadata: ["error": "\(error)"])
        }
    }
    source.resume()
    return source
}

extension BrokerConfiguration {
    /// A configuration from settings, able to start pools with this very executable.
    init(settings: Settings, settingsFile: String?) throws {
        self.init()
        if let keysDir = settings.brokerKeysDir, let allowList = settings.brokerAllowList {
            security = BrokerSecurity(keys: try CurveKeyFiles.keyPair(in: keysDir, name: CurveKeyFiles.brokerName), allowListFile: allowList)
        }
        frontend = settings.brokerFrontend
        backend = settings.brokerBackend
        queueBound = settings.brokerQueueBound
        defaultSelector = settings.poolRoutingStrategy
        heartbeatInterval = .milliseconds(settings.heartbeatIntervalMs)
        heartbeatLiveness = settings.heartbeatLiveness
        retryBudget = settings.taskRetryBudget
        affinityWait = .milliseconds(Int(settings.affinityWaitSeconds * 1000))
        resultCacheSize = settings.resultCacheSize
        autoscaleCooldown = .milliseconds(Int(settings.autoscaleCooldownSeconds * 1000))
        workerTypeNames = settings.workerTypes.names
        poolExecutable = currentExecutable()
        self.settingsFile = settingsFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }
}

/// This process's executable, so the broker can start pools with the same build.
func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}
