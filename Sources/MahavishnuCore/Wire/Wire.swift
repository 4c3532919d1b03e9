/// The frames of the Mahavishnu wire protocol, version `MHV1` (`docs/protocol.md` is the full text).
///
/// Every message starts with the version frame and a command frame; the rest are positional.
/// Header frames are short ASCII strings the broker compares byte for byte; bodies are JSON the
/// broker never decodes.
public enum Wire {
    /// The protocol version frame.
    public static let version: [UInt8] = Array("MHV1".utf8)

    /// Command frames.
    public enum Command {
        /// Producer → broker: submit a task. Broker → pool: run a task.
        public static let task: [UInt8] = Array("TASK".utf8)
        /// Pool → broker and broker → producer: a task's final result.
        public static let result: [UInt8] = Array("RESULT".utf8)
        /// Either direction: an error reply with a code and a message.
        public static let error: [UInt8] = Array("ERROR".utf8)
        /// Producer → broker: an administrative request (list, stats, health, …).
        public static let control: [UInt8] = Array("CTRL".utf8)
        /// Broker → producer: the answer to a `CTRL` request.
        public static let reply: [UInt8] = Array("REPLY".utf8)
        /// Pool → broker: register (or register again) with a JSON description.
        public static let ready: [UInt8] = Array("READY".utf8)
        /// Broker → pool: registration accepted.
        public static let welcome: [UInt8] = Array("WELCOME".utf8)
        /// Pool → broker: the pool's worker-slot count changed.
        public static let capacity: [UInt8] = Array("CAPACITY".utf8)
        /// Pool → broker: the pool is leaving; no more tasks. Broker → pool: released, exit now.
        public static let bye: [UInt8] = Array("BYE".utf8)
        /// Broker → pool: finish your tasks and leave (as on SIGTERM).
        public static let drain: [UInt8] = Array("DRAIN".utf8)
        /// Either direction on the backend: I am alive. A pool's carries its metrics as JSON.
        public static let heartbeat: [UInt8] = Array("HEARTBEAT".utf8)
        /// Pool → broker: the worker running this task died (a crashed child process); the
        /// broker runs the task again within its retry budget, as when a whole pool is lost.
        public static let lost: [UInt8] = Array("LOST".utf8)
        /// Broker → pool: change your worker count to this many.
        public static let scale: [UInt8] = Array("SCALE".utf8)
        /// Pool → broker, broker → producer: a running task's partial output, before its `RESULT`.
        public static let partial: [UInt8] = Array("PARTIAL".utf8)
        /// Broker → pool: end this running task (as at its timeout) and report it `cancelled`.
        public static let cancel: [UInt8] = Array("CANCEL".utf8)
        /// Broker → pool: this streaming task may send this many more partial outputs.
        public static let credit: [UInt8] = Array("CREDIT".utf8)
    }

    /// Frames in a producer's `CTRL`: version, command, request id, command name, JSON arguments.
    public static let controlFrames = 5
    /// Longest task id or request id accepted, in bytes.
    public static let maxIDLength = 255
}

/// The machine-readable code of an `ERROR` reply.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    /// The first frame was not a version this broker speaks.
    case unsupportedVersion = "unsupported_version"
    /// The command frame named no known command.
    case unknownCommand = "unknown_command"
    /// Wrong number of frames, an empty or too long id, or an unreadable argument.
    case badRequest = "bad_request"
    /// The selector frame named no known selector.
    case invalidSelector = "invalid_selector"
    /// An affinity task named a pool that is not registered, and gave no fallback selector.
    case noSuchPool = "no_such_pool"
    /// The broker's queue is full: the task was not accepted. Retry later.
    case overloaded = "overloaded"
    /// The task body is larger than the broker's `max_task_bytes`: the task was not accepted.
    case tooLarge = "too_large"
    /// A pool sent something other than `READY` before registering.
    case notRegistered = "not_registered"
    /// A pool tried to register with a name another live pool already has.
    case duplicatePoolName = "duplicate_pool_name"
    /// A `spawn` or `close` argument is invalid; the message names it and what is allowed.
    case invalidArgument = "invalid_argument"
    /// The broker could not start the pool process, or it exited before registering.
    case spawnFailed = "spawn_failed"
    /// The broker is shutting down and accepts no new work.
    case shuttingDown = "shutting_down"
    /// The broker is not the active one of its pair (passive, or still starting): go to the
    /// other broker (the message names its frontend when known).
    case notActive = "not_active"
    /// The pool an affinity task waits for stayed unreachable past `affinity_wait_seconds`.
    case poolLost = "pool_lost"
    /// The connection's CURVE key lacks the role the command needs (admin for spawn, scale, close).
    case forbidden = "forbidden"
    /// The broker's own settings switch off the pool type a `spawn` asked for (`pools_enabled`
    /// or `workers_enabled: false`); the message names the switch and the settings file.
    case disabled = "disabled"
}
