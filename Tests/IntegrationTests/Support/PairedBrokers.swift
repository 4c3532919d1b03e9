import Foundation
import Mahavishnu

/// One broker of a primary/backup pair, a real process on loopback ports the OS picks, but for
/// its pair endpoint, which its peer must know before either starts.
struct PairedBroker: Sendable {
    let process: ManagedProcess
    let frontend: String
    let backend: String
    /// `--bus-pub …  --bus-sub …`: the broker's own bus (a pair's bus does not fail over).
    let busArguments: [String]

    /// Starts `role` listening for its peer on `pairPort`, its peer on `peerPort`, with its own
    /// state directory (so its own journal) and `arguments` added; waits for its ready line.
    static func start(_ role: PairRole, pairPort: Int, peerPort: Int, stateDirectory: String, arguments: [String] = []) async throws -> PairedBroker {
        let process = try ManagedProcess(
            name: "broker \(role.rawValue)", executable: mahavishnuExecutable,
            arguments: brokerOnAnyPorts + ["--no-memory", "--role", role.rawValue, "--pair-bind", "tcp://127.0.0.1:\(pairPort)",
                                           "--peer", "tcp://127.0.0.1:\(peerPort)"] + arguments,
            environment: ["XDG_STATE_HOME": stateDirectory]
        )
        let fields = readyFields(try await process.line(startingWith: "broker ready"))
        return PairedBroker(process: process, frontend: fields["frontend"]!, backend: fields["backend"]!,
                            busArguments: ["--bus-pub", fields["bus_pub"]!, "--bus-sub", fields["bus_sub"]!])
    }

    /// A primary and a backup on fresh pair ports, with `settings`, once the primary is active and
    /// the backup holds a copy of its journal; neither is left running if that fails.
    static func startSyncedPair(settings: String) async throws -> (primary: PairedBroker, backup: PairedBroker) {
        let ports = try pairPorts()
        let primary = try await start(.primary, pairPort: ports.primary, peerPort: ports.backup,
                                      stateDirectory: scratchStateDirectory(), arguments: ["--settings", settings])
        do {
            let backup = try await start(.backup, pairPort: ports.backup, peerPort: ports.primary,
                                         stateDirectory: scratchStateDirectory(), arguments: ["--settings", settings])
            do {
                try await primary.reaches(.active)
                try await waitUntil("the backup holds a copy of the journal") { try await backup.pairStatus()?.inSync == true }
                return (primary, backup)
            } catch {
                backup.process.send(SIGKILL)
                throw error
            }
        } catch {
            primary.process.send(SIGKILL)
            throw error
        }
    }

    /// Waits until the broker reports `state` on stdout, and returns its line.
    @discardableResult
    func reaches(_ state: PairState, within timeout: Duration = .seconds(20)) async throws -> String {
        try await process.line(startingWith: "broker pair state=\(state.rawValue) ", within: timeout)
    }

    /// What `info` says about the broker's place in its pair.
    func pairStatus() async throws -> PairStatus? {
        let client = try BrokerClient(endpoint: frontend)
        defer { client.close() }
        return try await client.info(timeout: .seconds(5)).pair
    }
}

/// Two free loopback ports for a pair's endpoints, below the ephemeral range (32768 and up), where
/// the ports other tests' brokers bind with `:*` and their connections use come from: a port
/// picked there could be taken before the broker binds it.
func pairPorts() throws -> (primary: Int, backup: Int) {
    func pick() throws -> Int {
        for _ in 0..<200 {
            if let port = try? freeTCPPort(UInt16.random(in: 20_000..<30_000)) { return port }
        }
        throw TestFailure("no free port in 20000–29999")
    }
    var (primary, backup) = (try pick(), try pick())
    while backup == primary { backup = try pick() }
    return (primary, backup)
}
