import Mahavishnu
import MCP

/// Why a tool call did not do what it was asked; returned to the MCP client as a tool error
/// (`isError: true`) with this code and message, never as a protocol error.
struct ToolFailure: Error, CustomStringConvertible {
    /// A machine-readable reason.
    enum Code: String, Sendable {
        /// An argument is missing, unknown or out of range (`argument` names it).
        case invalidArgument = "invalid_argument"
        /// The caller made too many calls in the window (`retryAfterSeconds` says when to try again).
        case rateLimited = "rate_limited"
        /// No broker answered at its endpoint.
        case brokerUnreachable = "broker_unreachable"
        /// The broker refused the request (its own code is in the message).
        case refused
        /// The task's result did not arrive in time.
        case resultTimedOut = "result_timed_out"
        /// A switched-off feature (`pools_enabled`, `workers_enabled`) or a missing part.
        case unavailable
        case noSuchWorker = "no_such_worker"
        case noSuchWorkflow = "no_such_workflow"
        case limitReached = "limit_reached"
    }

    let code: Code
    let message: String
    /// The argument at fault.
    var argument: String?
    /// For `rate_limited`: seconds until a call would be admitted.
    var retryAfterSeconds: Double?

    init(_ code: Code, _ message: String, argument: String? = nil, retryAfterSeconds: Double? = nil) {
        self.code = code
        self.message = message
        self.argument = argument
        self.retryAfterSeconds = retryAfterSeconds
    }

    var description: String { message }

    /// The failure an error thrown by the client API stands for.
    init(_ error: any Error) {
        switch error {
        case let failure as ToolFailure:
            self = failure
        case BrokerClientError.noBroker, BrokerClientError.handshakeFailed:
            self.init(.brokerUnreachable, "\(error)")
        case BrokerClientError.resultTimedOut:
            self.init(.resultTimedOut, "\(error)")
        case BrokerClientError.refused(let code, let message):
            self.init(.refused, "\(code): \(message)")
        case let error as WorkerError:
            switch error.code {
            case .invalidArgument: self.init(.invalidArgument, error.message)
            case .limitReached: self.init(.limitReached, error.message)
            case .noSuchWorker: self.init(.noSuchWorker, error.message)
            }
        case is PoolsDisabledError, is WorkersDisabledError:
            self.init(.unavailable, "\(error)")
        default:
            self.init(.unavailable, "\(error)")
        }
    }

    /// The tool error result for the MCP client: the message as text, the details as structured content.
    var result: CallTool.Result {
        var details: [String: Value] = ["error": .string(code.rawValue), "message": .string(message)]
        if let argument { details["argument"] = .string(argument) }
        if let retryAfterSeconds { details["retry_after_seconds"] = .double(retryAfterSeconds) }
        let prefix = code == .rateLimited ? "rate_limited: " : ""
        return CallTool.Result(content: [.text(text: prefix + message, annotations: nil, _meta: nil)], structuredContent: .object(details), isError: true)
    }
}
