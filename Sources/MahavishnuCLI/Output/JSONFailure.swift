import ArgumentParser
import Mahavishnu
import MahavishnuCommandCore

/// A failed command as `--json` prints it: `{"error": {"code": "…", "message": "…"}}`.
struct JSONFailure: Encodable {
    struct Detail: Encodable {
        /// Machine-readable: the broker's error code when the broker refused, else the CLI's own.
        let code: String
        /// The same text the command prints without `--json`.
        let message: String
    }

    let error: Detail

    /// The report of `error`, with `message` as the command prints it.
    init(_ error: any Error, message: String) {
        self.error = Detail(code: Self.code(of: error), message: message)
    }

    /// The code of each kind of failure; `failed` for the rest.
    static func code(of error: any Error) -> String {
        switch error {
        case let error as BrokerClientError:
            switch error {
            case .refused(let code, _): code
            case .noBroker: "no_broker"
            case .handshakeFailed: "handshake_failed"
            case .resultTimedOut: "result_timed_out"
            case .closed: "closed"
            case .protocolViolation: "protocol_violation"
            }
        case is PoolsDisabledError, is WorkersDisabledError: ErrorCode.disabled.rawValue
        case let error as WorkerError:
            switch error.code {
            case .invalidArgument: ErrorCode.invalidArgument.rawValue
            case .limitReached: "limit_reached"
            case .noSuchWorker: "no_such_worker"
            }
        case let error as CLIError: error.code
        case is ValidationError: "invalid_usage"
        default: MahavishnuCommand.exitCode(for: error) == .validationFailure ? "invalid_usage" : "failed"
        }
    }
}

extension MahavishnuCommand {
    /// Parses the command line and runs the command; a failure of a command run with `--json`
    /// is printed as a `JSONFailure` on stdout (stdout then holds JSON whatever happens), and
    /// the exit status is non-zero either way.
    public static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let status = exitCode(for: error)
            guard status != .success, !(error is ExitCode), asksForJSON(arguments) else { exit(withError: error) }
            try? Printer.json(JSONFailure(error, message: message(for: error)))
            exit(withError: status)
        }
    }

    /// Whether the command line has `--json` before any `--`.
    private static func asksForJSON(_ arguments: [String]) -> Bool {
        arguments.prefix { $0 != "--" }.contains("--json")
    }
}
