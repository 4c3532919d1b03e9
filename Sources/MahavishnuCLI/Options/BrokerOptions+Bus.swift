import Foundation
import Mahavishnu
import MahavishnuCommandCore

extension BrokerOptions {
    /// Where a CLI bus client connects: `--bus-pub`/`--bus-sub`, else `MAHAVISHNU_BROKER_BUS_*`,
    /// else what the broker answers to `info` (so `--broker` or `MAHAVISHNU_BROKER` alone finds
    /// its bus). A settings file's `broker_bus_*` go with its own `broker_frontend`: they win
    /// unless the broker was named by `--broker` or `MAHAVISHNU_BROKER`. A broker that does not
    /// answer leaves the settings' endpoints, said on stderr.
    func messageBusConfiguration(_ bus: BusOptions) async throws -> MessageBusConfiguration {
        let settings = try settingsOptions.load(flags: bus.settingsFlags)
        var configuration = MessageBusConfiguration(settings: settings, curve: try keys.resolve(settings))
        let brokerNamed = namedBroker != nil
        func fixed(_ key: String) -> Bool {
            switch settings.origin.keys[key] {
            case .flag?, .environment?: true
            case .file?: !brokerNamed
            case nil: false
            }
        }
        let (askPublish, askSubscribe) = (!fixed("broker_bus_pub"), !fixed("broker_bus_sub"))
        guard askPublish || askSubscribe else { return configuration }
        let frontend = endpoint(settings)
        let info: BrokerInfo
        do {
            info = try await withBrokerClient { try await $0.control(.info, as: BrokerInfo.self, timeout: .seconds(3)) }
        } catch {
            FileHandle.standardError.write(Data("note: the broker at \(frontend) did not say where its bus is (\(error)); using broker_bus_sub \(configuration.subscribeEndpoint) and broker_bus_pub \(configuration.publishEndpoint)\n".utf8))
            return configuration
        }
        guard let publish = info.busPub, let subscribe = info.busSub else {
            throw CLIError("the broker at \(frontend) runs no message bus", code: "no_bus")
        }
        if askPublish { configuration.publishEndpoint = reachable(publish, like: frontend) }
        if askSubscribe { configuration.subscribeEndpoint = reachable(subscribe, like: frontend) }
        return configuration
    }
}

/// A bound TCP endpoint as a client reaches it: a broker bound to every interface (`0.0.0.0`,
/// `[::]`) is reached at the host of `frontend`, the endpoint the client reached it by.
func reachable(_ bound: String, like frontend: String) -> String {
    func split(_ endpoint: String) -> (host: Substring, port: Substring)? {
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return nil }
        return (endpoint[endpoint.index(endpoint.startIndex, offsetBy: 6)..<colon], endpoint[endpoint.index(after: colon)...])
    }
    guard let boundParts = split(bound), ["0.0.0.0", "[::]", "*"].contains(boundParts.host), let host = split(frontend)?.host else { return bound }
    return "tcp://\(host):\(boundParts.port)"
}
