import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// A thread (a `SocketLoop`) that owns child processes once they are started: it forwards what
/// they write to standard error to ours (keeping the last few kilobytes of each), sends them
/// the signals it is asked to, and reaps each once it has exited and its standard error has ended.
///
/// - Important: call `finish()` once no more children will come: it waits until every child has
///   been reaped and the thread has ended.
package final class ChildKeeper<ID: Hashable & Sendable>: Sendable {
    /// A child that was reaped.
    package struct Ended: Sendable {
        package let id: ID
        package let pid: pid_t
        package let termination: Termination
        /// The last 4 KiB or so of its standard error.
        package let stderrTail: String
    }

    /// Where a kept child's output goes, on the keeper's thread.
    package struct Output: Sendable {
        /// Each chunk of its standard output; `nil` drops it.
        package var standardOutput: (@Sendable (UnsafeRawBufferPointer) -> Void)?
        /// Each chunk of its standard error; `nil` forwards it to ours. Its tail is kept either way.
        package var standardError: (@Sendable (UnsafeRawBufferPointer) -> Void)?

        package init(standardOutput: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil, standardError: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil) {
            self.standardOutput = standardOutput
            self.standardError = standardError
        }
    }

    private let loop: SocketLoop<KeeperCommand<ID>>

    /// Starts the thread, named `name`; `onExit` is called on it for every child it reaps.
    package init(name: String, onExit: @escaping @Sendable (Ended) -> Void) {
        loop = SocketLoop(name: name, handler: KeeperLoop(onExit: onExit))
        loop.start()
    }

    /// Takes over `child`: from now on only this keeper's thread uses it.
    package func keep(_ child: sending ChildProcess, as id: ID, output: Output = Output()) {
        let posted = loop.post(.keep(id, UncheckedTransfer(child), output))
        precondition(posted == .accepted, "a ChildKeeper takes no child after finish()")
    }

    /// Sends `signal` to the process group of child `id` after `delay`, unless it has been reaped by then.
    package func signal(_ id: ID, _ signal: Int32, after delay: Duration = .zero) {
        loop.post(.signal(id, signal, at: .now + delay))
    }

    /// Sends `signal` to the process group of every child kept now.
    package func signalAll(_ signal: Int32) {
        loop.post(.signalAll(signal))
    }

    /// Takes no more children and waits until every one kept has been reaped.
    package func finish() {
        loop.stop()
        try? loop.join()
    }
}

private enum KeeperCommand<ID: Hashable & Sendable>: Sendable {
    /// A child on its way to the keeper's thread: `keep` takes it as `sending`.
    case keep(ID, UncheckedTransfer<ChildProcess>, ChildKeeper<ID>.Output)
    case signal(ID, Int32, at: ContinuousClock.Instant)
    case signalAll(Int32)
}

/// The keeper's side of its thread: the children it owns, their signals due and their reaping.
private final class KeeperLoop<ID: Hashable & Sendable>: SocketLoopHandler {
    /// Bytes of each child's standard error kept for `Ended.stderrTail`.
    static var tailBytes: Int { 4096 }
    /// How long after a child's exit its standard error may stay open (a descendant holding it)
    /// before the child is reaped anyway.
    static var stderrGrace: Duration { .seconds(1) }

    /// A child the thread owns.
    private final class Kept {
        let id: ID
        var pipes: ChildPipes!
        var tail: [UInt8] = []
        /// When its exit was seen.
        var exitedAt: ContinuousClock.Instant?
        var signals: [(at: ContinuousClock.Instant, signal: Int32)] = []

        init(id: ID) { self.id = id }

        /// It can be reaped: it has exited, and its standard error has ended or had its grace.
        func isDone(at now: ContinuousClock.Instant) -> Bool {
            guard let exitedAt else { return false }
            return pipes.errorEnded || now >= exitedAt + KeeperLoop.stderrGrace
        }

        /// When it next needs attention without any descriptor turning ready.
        var nextDue: ContinuousClock.Instant? {
            ([exitedAt.map { $0 + KeeperLoop.stderrGrace }] + signals.map(\.at)).compactMap { $0 }.min()
        }

        func keepTail(_ chunk: UnsafeRawBufferPointer) {
            tail.append(contentsOf: chunk)
            if tail.count > KeeperLoop.tailBytes { tail.removeFirst(tail.count - KeeperLoop.tailBytes) }
        }
    }

    private let onExit: @Sendable (ChildKeeper<ID>.Ended) -> Void
    private var reactor: SocketReactor!
    private var kept: [Kept] = []
    private var stopping = false

    init(onExit: @escaping @Sendable (ChildKeeper<ID>.Ended) -> Void) {
        self.onExit = onExit
    }

    func start(_ reactor: SocketReactor) {
        self.reactor = reactor
    }

    func handle(_ commands: [KeeperCommand<ID>]) {
        for command in commands {
            switch command {
            case .keep(let id, let handover, let output):
                precondition(!kept.contains { $0.id == id }, "a ChildKeeper keeps one child per id")
                let entry = Kept(id: id)
                let relayError = output.standardError ?? forward
                entry.pipes = ChildPipes(handover.value, on: reactor, stdout: output.standardOutput ?? { _ in },
                                         stderr: { [unowned entry] chunk in
                                             relayError(chunk)
                                             entry.keepTail(chunk)
                                         },
                                         exited: { [unowned entry] in entry.exitedAt = .now })
                kept.append(entry)
            case .signal(let id, let signal, let at):
                kept.first { $0.id == id }?.signals.append((at, signal))
            case .signalAll(let signal):
                for entry in kept { entry.pipes.child.signalGroup(signal) }
            }
        }
    }

    /// Sends the signals due and reaps the children that are done.
    func beforeWait() {
        let now = ContinuousClock.now
        for entry in kept {
            for due in entry.signals where due.at <= now { entry.pipes.child.signalGroup(due.signal) }
            entry.signals.removeAll { $0.at <= now }
        }
        kept.removeAll { entry in
            guard entry.isDone(at: now) else { return false }
            reap(entry)
            return true
        }
    }

    private func reap(_ entry: Kept) {
        entry.pipes.drain()
        let termination = entry.pipes.reap()
        onExit(.init(id: entry.id, pid: entry.pipes.child.pid, termination: termination, stderrTail: String(decoding: entry.tail, as: UTF8.self)))
    }

    var nextDeadline: ContinuousClock.Instant? { kept.compactMap(\.nextDue).min() }

    /// Keeps serving until every child has been reaped.
    func stopRequested() -> Bool {
        stopping = true
        return kept.isEmpty
    }

    var isDone: Bool { stopping && kept.isEmpty }

    func finish(after error: (any Error)?) {
        // A loop that failed, or was never started, still reaps what it was given.
        for entry in kept {
            entry.pipes.child.signalGroup(SIGKILL)
            _ = entry.pipes.reap()
        }
        kept.removeAll()
    }
}

/// Writes `chunk` to our standard error, dropping what cannot be written.
@Sendable private func forward(_ chunk: UnsafeRawBufferPointer) {
    var offset = 0
    while offset < chunk.count {
        let count = write(STDERR_FILENO, chunk.baseAddress! + offset, chunk.count - offset)
        if count > 0 {
            offset += count
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            return
        }
    }
}
