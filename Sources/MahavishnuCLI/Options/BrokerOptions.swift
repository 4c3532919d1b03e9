import ArgumentParser
import Foundation
import Logging
import Mahavishnu
import MahavishnuCommandCore

/// Where the running broker is and how to reach it: `--settings`, `--broker`, `--keys`.
struct BrokerOptions: ParsableArguments {
    @OptionGroup var settingsOptions: SettingsOptions

    @Option(help: "The broker's frontend endpoint (default: $MAHAVISHNU_BROKER, else broker_frontend from settings); for a broker pair, both frontends separated by a comma.")
    var broker: String?

    @OptionGroup var keys: ClientKeysOption

    /// The endpoint to use: `--broker` > `MAHAVISHNU_BROKER` > settings.
    func endpoint(_ settings: Settings) -> String {
        namedBroker ?? settings.brokerFrontend
    }

    /// `--broker`, else a non-empty `MAHAVISHNU_BROKER`: a broker named for this call, not by settings.
    var namedBroker: String? {
        broker ?? ProcessInfo.processInfo.environment["MAHAVISHNU_BROKER"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The settings in effect and the checked broker endpoint.
    func connection() throws -> (settings: Settings, endpoint: String) {
        let settings = try settingsOptions.load()
        let endpoint = endpoint(settings)
        do {
            _ = try endpointList(endpoint, flag: "broker")
        } catch {
            throw ValidationError("--broker \(error.message)")
        }
        return (settings, endpoint)
    }

    /// The CURVE keys from `--keys`, if given (otherwise the managers use `client_keys_dir`).
    func curveKeys() throws -> ClientCurveKeys? {
        try keys.named()
    }

    /// Runs `body` with a plain broker client (no pools or workers switch applies) and closes it afterwards.
    func withBrokerClient<T>(_ body: (BrokerClient) async throws -> T) async throws -> T {
        let (settings, endpoint) = try connection()
        let client = try BrokerClient(settings: settings, broker: endpoint, curve: try curveKeys(), logger: Logger(label: "mahavishnu.cli"))
        defer { client.close() }
        return try await body(client)
    }

    /// Loads settings and connects a `PoolManager`; refuses when pools are disabled.
    func poolManager() throws -> PoolManager {
        let (settings, endpoint) = try connection()
        return try PoolManager(broker: endpoint, settings: settings, curve: try curveKeys())
    }

    /// Runs `body` with a connected manager and closes it afterwards.
    func withPoolManager<T>(_ body: (PoolManager) async throws -> T) async throws -> T {
        let manager = try poolManager()
        defer { manager.close() }
        return try await body(manager)
    }
}
