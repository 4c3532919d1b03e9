import Foundation
import Mahavishnu

/// A broker process that a test can SIGKILL and start again on the same endpoints (the bus
/// included), so its pools and clients find it again.
final class RestartableBroker: @unchecked Sendable {
    private(set) var process: ManagedProcess
    let frontend: String
    let backend: String
    /// `--bus-pub …  --bus-sub …` as first bound, for the pools and for every restart.
    let busArguments: [String]
    private let arguments: [String]
    /// Every generation's `XDG_STATE_HOME`, so each finds the journal of the one before.
    private let environment = ["XDG_STATE_HOME": scratchStateDirectory()]
    private var generation = 1
    /// The pool processes `startPool` started, which `shutdown()` stops.
    private(set) var pools: [ManagedProcess] = []

    /// Starts a broker on ports the OS picks, with `arguments` added (`--settings FILE`, say).
    init(arguments: [String]) async throws {
        self.arguments = arguments
        process = try ManagedProcess(name: "broker", executable: mahavishnuExecutable,
                                     arguments: brokerOnAnyPorts + arguments,
                                     environment: environment)
        let fields = readyFields(try await process.line(startingWith: "broker ready"))
        frontend = fields["frontend"]!
        backend = fields["backend"]!
        busArguments = ["--bus-pub", fields["bus_pub"]!, "--bus-sub", fields["bus_sub"]!]
    }

    /// SIGKILLs the broker and waits until it is gone.
    func kill() async throws {
        process.send(SIGKILL)
        _ = try await process.exitStatus()
    }

    /// Starts a new broker process on the same endpoints and waits until it is ready.
    func restart() async throws {
        generation += 1
        process = try ManagedProcess(name: "broker \(generation)", executable: mahavishnuExecutable,
                                     arguments: ["broker", "--frontend", frontend, "--backend", backend, "--http", "127.0.0.1:0"] + busArguments + arguments,
                                     environment: environment)
        _ = try await process.line(startingWith: "broker ready")
    }

    /// Starts a pool process `name` with `workers` workers (and `extraArguments`) against this
    /// broker and waits until it registered.
    func startPool(_ name: String, workers: Int, settings: String, extraArguments: [String] = []) async throws -> ManagedProcess {
        let pool = try ManagedProcess(name: "pool \(name)", executable: poolExecutable,
                                      arguments: ["--name", name, "--id", "pool_\(name)", "--min", "\(workers)", "--broker", backend,
                                                  "--frontend", frontend, "--settings", settings] + busArguments + extraArguments)
        pools.append(pool)
        _ = try await pool.line(startingWith: "pool ready")
        return pool
    }

    /// Stops every pool it started, then the current broker process; returns the broker's exit status.
    @discardableResult
    func shutdown() async -> Int32 {
        for pool in pools { await pool.stop() }
        return await process.stop()
    }
}

/// `mahavishnu broker` on loopback ports the OS picks (frontend, backend and bus).
let brokerOnAnyPorts = ["broker", "--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", "--http", "127.0.0.1:0",
                        "--bus-pub", "tcp://127.0.0.1:*", "--bus-sub", "tcp://127.0.0.1:*"]

/// Runs a broker on ports the OS picks with `arguments` added, for one that must refuse to start:
/// its output once it has exited (the call fails if it is still running after 15 s).
func brokerRefusingToStart(_ arguments: [String]) async throws -> CommandOutput {
    try await runCommand(mahavishnuExecutable, brokerOnAnyPorts + arguments, timeout: .seconds(15))
}
