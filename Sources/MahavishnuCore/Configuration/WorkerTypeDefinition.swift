/// What a worker of one type runs for each task (an entry of `worker_types:` in the settings).
///
/// `docs/executors.md` gives each executor's contract.
public struct WorkerTypeDefinition: Sendable, Equatable {
    /// How a worker runs its tasks.
    public enum ExecutorKind: String, Sendable, CaseIterable {
        /// Answers with the task's prompt, after `sleep_ms` if given (tests, benchmarks).
        case echo
        /// Runs `command` once per task.
        case exec
        /// Keeps one `command` process per worker slot and talks JSON lines with it.
        case process
    }

    /// How an `exec` worker hands the prompt to its program.
    public enum PromptDelivery: String, Sendable, CaseIterable {
        /// `{prompt}` inside an argument of `command` is replaced by the prompt.
        case argument
        /// The prompt is written to the program's standard input, which is then closed.
        case stdin
    }

    /// The placeholder in `command` arguments that the prompt replaces.
    public static let promptPlaceholder = "{prompt}"

    /// How tasks run. Required.
    public var executor: ExecutorKind
    /// The program and its arguments, run directly (never through a shell); the program is looked
    /// up in `PATH` unless it contains a `/`. Required for `exec` and `process`, empty for `echo`.
    public var command: [String]
    /// `exec` only: how the prompt reaches the program. Default `argument`.
    public var promptVia: PromptDelivery
    /// The program's working directory. Default: the pool's.
    public var workingDirectory: String?
    /// Variables added to (or replacing those of) the pool's environment. Default none.
    public var environment: [String: String]
    /// Most bytes of standard output, and separately of standard error, kept per task; the excess
    /// is read and dropped, and the result says it was cut. Default 1 MiB.
    public var outputCapBytes: Int
    /// Seconds between SIGTERM and SIGKILL when a task's process group is ended. Default 5.
    public var killGraceSeconds: Double
    /// `exec` only: each line the program writes to standard output is also a partial output
    /// of the task, for producers that stream. Default false.
    public var stream = false

    public init(
        executor: ExecutorKind, command: [String] = [], promptVia: PromptDelivery = .argument,
        workingDirectory: String? = nil, environment: [String: String] = [:],
        outputCapBytes: Int = 1 << 20, killGraceSeconds: Double = 5
    ) {
        self.executor = executor
        self.command = command
        self.promptVia = promptVia
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.outputCapBytes = outputCapBytes
        self.killGraceSeconds = killGraceSeconds
    }

    /// `exec` definition running `program -p PROMPT`, as the old terminal workers did.
    static func terminal(_ program: String) -> WorkerTypeDefinition {
        WorkerTypeDefinition(executor: .exec, command: [program, "-p", promptPlaceholder])
    }
}

/// The worker types a deployment defines, by name: the built-ins and the settings' `worker_types:`.
public struct WorkerTypeCatalog: Sendable, Equatable {
    /// Definitions by worker type name.
    public private(set) var definitions: [String: WorkerTypeDefinition]

    /// `echo`, and the ready-made `terminal-qwen` and `terminal-claude` (`qwen -p PROMPT`, `claude -p PROMPT`).
    public static let builtIn = WorkerTypeCatalog(definitions: [
        "echo": WorkerTypeDefinition(executor: .echo),
        "terminal-qwen": .terminal("qwen"),
        "terminal-claude": .terminal("claude"),
    ])

    /// The worker type names that cannot be redefined in settings.
    public static let fixedNames: Set<String> = ["echo"]

    /// The defined names, sorted.
    public var names: [String] { definitions.keys.sorted() }

    /// The definition named `name`, if any.
    public subscript(name: String) -> WorkerTypeDefinition? { definitions[name] }

    /// Adds `definition` under `name`, replacing a definition of the same name.
    public mutating func define(_ name: String, as definition: WorkerTypeDefinition) {
        definitions[name] = definition
    }

    /// The message for a worker type that is not defined: the name, the defined list, and where to define more.
    public static func unknownTypeMessage(_ name: String, defined names: [String]) -> String {
        "unknown worker type '\(name)'; defined worker types: \(names.joined(separator: ", ")) (define more under worker_types: in the settings file)"
    }
}
