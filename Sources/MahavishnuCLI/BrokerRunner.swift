import Foundation
import Logging
import MahavishnuBroker
import MahavishnuBrokerService
import MahavishnuCommandCore
import MahavishnuCore

/// Runs a `BrokerService` in the foreground for `broker` and `up`: prints where it listens and
/// each pool as it comes and goes, reloads the allow-list on SIGHUP, and drains on SIGTERM or Ctrl-C.
enum BrokerRunner {
    static func run(_ configuration: BrokerConfiguration, settings: Settings, logging: LoggingOptions) async throws {
        let logger = logging.bootstrap(label: "mahavishnu.broker")
        if configuration.insecure && configuration.security == nil {
            logger.warning("running with --insecure: endpoints are not encrypted and anyone who can reach them can submit tasks and register pools; see docs/security.md")
        }
        let service = try BrokerService(
            configuration: configuration, settings: settings, logger: logger,
            events: { announce(describe($0)) },
            ready: { endpoints in
                announce(readyLine(endpoints))
                if let http = endpoints.http {
                    announce("dashboard http://\(http)/ (Prometheus: http://\(http)/metrics; the admin token for its actions is in \(endpoints.httpTokenFile ?? "?"))")
                }
            }
        )
        let reloader = reloadOnHangUp(service, logger: logger)
        defer { reloader.cancel() }
        try await runUntilSignalled([service], logger: logger)
        announce("broker stopped")
    }

    /// The line scripts and tests wait for: every endpoint, with the ports the OS chose.
    private static func readyLine(_ endpoints: BrokerEndpoints) -> String {
        "broker ready frontend=\(endpoints.frontend) backend=\(endpoints.backend) bus_pub=\(endpoints.busPublish) bus_sub=\(endpoints.busSubscribe)"
            + " memory=\(endpoints.memoryDatabase ?? "off") http=\(endpoints.http ?? "off")\(endpoints.httpTokenFile.map { " http_token=\($0)" } ?? "")\(endpoints.curve ? " curve=on" : "")"
    }

    /// The line printed for each pool coming and going.
    private static func describe(_ event: BrokerEvent) -> String {
        switch event {
        case .poolRegistered(let pool):
            "pool ready name=\(pool.name) id=\(pool.poolID) workers=\(pool.workers) pid=\(pool.pid) host=\(pool.host)"
        case .poolRemoved(let poolID, let name, let reason):
            "pool stopped name=\(name) id=\(poolID): \(reason)"
        case .spawnFailed(let name, let reason):
            "pool failed name=\(name): \(reason)"
        case .poolLost(let poolID, let name, let reason):
            "pool lost name=\(name) id=\(poolID): \(reason)"
        case .poolScaled(let poolID, let name, let from, let to, let reason):
            "pool scaled name=\(name) id=\(poolID) from=\(from) to=\(to): \(reason)"
        case .poolRestarting(let poolID, let name, let after):
            "pool restarting name=\(name) id=\(poolID) in \(after)"
        case .draining:
            "broker draining: no new tasks; waiting for running tasks and pools to finish"
        case .pairChanged(let pair):
            "broker pair state=\(pair.state.rawValue) role=\(pair.role.rawValue) epoch=\(pair.epoch) peer=\(pair.peer)"
        }
    }

    /// Reloads the broker's allow-list whenever the process receives SIGHUP.
    private static func reloadOnHangUp(_ service: BrokerService, logger: Logger) -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler {
            do {
                try service.reloadAllowList()
                announce("allow-list reloaded")
            } catch {
                logger.error("allow-list not reloaded; the previous one stays in force", metadata: ["error": "\(error)"])
            }
        }
        source.resume()
        return source
    }
}
