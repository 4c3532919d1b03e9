/// An outside MCP worker service that `session-buddy` pools forward their tasks to (an entry of
/// `delegates:` in the settings file).
///
/// The pool calls the service's `worker_spawn` when it starts and when it grows, `worker_execute`
/// for each task, and `worker_close` for each of its own workers when it shrinks or stops.
public struct DelegateDefinition: Sendable, Equatable {
    /// How to reach the service.
    public enum Endpoint: Sendable, Equatable {
        /// A program started by the pool, spoken to over its standard input and output (MCP stdio).
        /// Run directly, never through a shell; looked up in `PATH` unless it contains a `/`.
        case command([String])
        /// An MCP server over HTTP (Streamable HTTP with JSON responses).
        case url(String)
    }

    /// Where the service is. Required.
    public var endpoint: Endpoint
    /// Variables added to the pool's environment for a `command` service. Default none.
    public var environment: [String: String]
    /// Seconds the pool waits for the service to start and answer `initialize` and `worker_spawn`. Default 30.
    public var startTimeoutSeconds: Double

    public init(endpoint: Endpoint, environment: [String: String] = [:], startTimeoutSeconds: Double = 30) {
        self.endpoint = endpoint
        self.environment = environment
        self.startTimeoutSeconds = startTimeoutSeconds
    }

    /// The service, for messages: its command line or its URL.
    public var displayName: String {
        switch endpoint {
        case .command(let arguments): arguments.joined(separator: " ")
        case .url(let url): url
        }
    }
}

/// The delegate services a deployment defines, by name (`delegates:` in the settings file).
public struct DelegateCatalog: Sendable, Equatable {
    /// Definitions by name.
    public private(set) var definitions: [String: DelegateDefinition] = [:]

    public init() {}

    /// The defined names, sorted.
    public var names: [String] { definitions.keys.sorted() }

    /// The definition named `name`, if any.
    public subscript(name: String) -> DelegateDefinition? { definitions[name] }

    /// Adds `definition` under `name`, replacing one of the same name.
    public mutating func define(_ name: String, as definition: DelegateDefinition) {
        definitions[name] = definition
    }

    /// The delegate a pool uses: the one named, else the only one defined.
    ///
    /// Throws a message naming the defined delegates when `name` is unknown, or when none is
    /// named and there is not exactly one to choose.
    public func resolve(_ name: String?) throws(DelegateResolutionError) -> (name: String, definition: DelegateDefinition) {
        let defined = names.isEmpty ? "none (define one under delegates: in the settings file)" : names.joined(separator: ", ")
        if let name {
            guard let definition = definitions[name] else { throw DelegateResolutionError(description: "unknown delegate '\(name)'; defined delegates: \(defined)") }
            return (name, definition)
        }
        guard names.count == 1, let only = names.first else {
            throw DelegateResolutionError(description: "a session-buddy pool needs a delegate (--delegate, delegate:); defined delegates: \(defined)")
        }
        return (only, definitions[only]!)
    }
}

/// A pool's delegate cannot be chosen; the message names the defined ones.
public struct DelegateResolutionError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
