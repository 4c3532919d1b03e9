import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A program we talk to over its standard input and output ourselves (an MCP transport, a ready
/// line), the rest of it in the hands of a `ChildKeeper` of its own: its stderr forwarded to
/// ours (or appended to `LaunchSpec.standardErrorFile`), the signals we send it, its reaping.
///
/// - Important: end it with `end(terminateAfter:killAfter:)`, which also ends the keeper's thread.
package final class AttachedProcess: Sendable {
    /// The program's pid, also its process group's id.
    package let pid: pid_t
    /// The write end of its standard input; closed by `end`.
    package let input: Int32
    /// The read end of its standard output, open as long as this object.
    package let output: Int32
    private let keeper: ChildKeeper<pid_t>
    /// `end` was called: an exit from then on is expected, and `input` is closed.
    private let ending: Flag

    private final class Flag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    /// Starts `spec`'s program, with pipes to its standard input and output; `onLost` is called
    /// (on the keeper's thread) with how it ended, should it end before `end`.
    package init(_ spec: LaunchSpec, name: String, onLost: @escaping @Sendable (ChildKeeper<pid_t>.Ended) -> Void = { _ in }) throws(LaunchError) {
        var spec = spec
        spec.pipeStandardInput = true
        spec.pipeStandardOutput = true
        let child = try ChildProcess.launch(spec)
        (input, output) = child.detachStandardInputAndOutput()
        pid = child.pid
        let ending = Flag()
        self.ending = ending
        keeper = ChildKeeper(name: name) { ended in
            guard !ending.raised.load(ordering: .acquiring) else { return }
            onLost(ended)
        }
        keeper.keep(child, as: pid)
    }

    /// Sends `signal` to its process group, unless it has been reaped.
    package func signal(_ signal: Int32) {
        keeper.signal(pid, signal)
    }

    /// Closes its standard input (a program that serves its input exits at its end), sends its
    /// process group SIGTERM after `terminateAfter` and SIGKILL after `killAfter`, and waits
    /// until it has been reaped.
    package func end(terminateAfter: Duration, killAfter: Duration) {
        if !ending.raised.exchange(true, ordering: .acquiringAndReleasing) { close(input) }
        keeper.signal(pid, SIGTERM, after: terminateAfter)
        keeper.signal(pid, SIGKILL, after: killAfter)
        keeper.finish()
    }

    deinit {
        if !ending.raised.load(ordering: .acquiring) { close(input) }
        close(output)
    }
}
