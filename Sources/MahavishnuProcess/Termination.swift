#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
package enum Termination: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    package var description: String {
        switch self {
        case .exited(let status): "exited with status \(status)"
        case .signalled(let signal): "was killed by signal \(signal)" + (signalNames[signal].map { " (\($0))" } ?? "")
        }
    }
}

private let signalNames: [Int32: String] = [SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGPIPE: "SIGPIPE", SIGTERM: "SIGTERM", SIGABRT: "SIGABRT"]
