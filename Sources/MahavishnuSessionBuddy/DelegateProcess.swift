import MahavishnuProcess
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A delegate service's program: a `ChildProcess` whose standard input and output are the MCP
/// transport's, kept by a `ChildKeeper` that forwards its stderr to the pool's and reaps it.
///
/// - Important: end it with `end(grace:)`, which also ends the keeper's thread.
final class DelegateProcess: Sendable {
    /// The program's pid.
    let pid: pid_t
    /// The write end of its standard input, for the transport.
    let input: Int32
    /// The read end of its standard output, for the transport; open as long as this object.
    let output: Int32
    private let keeper: ChildKeeper<pid_t>
    /// `end` was called: an exit from then on is no loss, and `input` is closed.
    private let ending: Ending

    private final class Ending: Sendable {
        let started = Atomic<Bool>(false)
    }

    /// Starts `arguments` (no shell) with the pool's environment plus `environment`; `onLost` is
    /// called with why, should it exit before `end`.
    init(_ arguments: [String], environment: [String: String], onLost: @escaping @Sendable (String) -> Void) throws(LaunchError) {
        let spec = LaunchSpec(arguments: arguments, environment: LaunchSpec.environment(overriding: environment), workingDirectory: nil, pipeStandardInput: true)
        let child = try ChildProcess.launch(spec)
        (input, output) = child.detachStandardInputAndOutput()
        pid = child.pid
        let ending = Ending()
        self.ending = ending
        keeper = ChildKeeper(name: "mahavishnu.delegate") { ended in
            guard !ending.started.load(ordering: .acquiring) else { return }
            onLost("the delegate service process (pid \(ended.pid)) \(ended.termination)")
        }
        keeper.keep(child, as: pid)
    }

    /// Closes its standard input (an MCP server exits at end of input), sends its process group
    /// SIGTERM after `grace` and SIGKILL after another, and waits until it has been reaped.
    func end(grace: Duration) {
        if !ending.started.exchange(true, ordering: .acquiringAndReleasing) { close(input) }
        keeper.signal(pid, SIGTERM, after: grace)
        keeper.signal(pid, SIGKILL, after: grace * 2)
        keeper.finish()
    }

    deinit {
        if !ending.started.load(ordering: .acquiring) { close(input) }
        close(output)
    }
}
