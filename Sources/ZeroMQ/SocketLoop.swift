import Dispatch
import class Foundation.Thread
import Synchronization

/// What a `SocketLoop`'s thread owns and how it reacts: its sockets and state live here and
/// are touched only by that thread, so a handler needs no locks and no `Sendable`.
public protocol SocketLoopHandler: AnyObject {
    /// What other threads post to the loop.
    associatedtype Command: Sendable

    /// Runs on the loop's thread before its first wait: register what it watches with `reactor`.
    func start(_ reactor: SocketReactor) throws
    /// Handles the commands posted since the last pass, oldest first.
    func handle(_ commands: [Command]) throws
    /// Runs before every wait, after the readable items were handled: timers, flushing.
    func beforeWait() throws
    /// When the loop must wake with nothing to read; `nil` waits for input alone.
    var nextDeadline: ContinuousClock.Instant? { get }
    /// Runs once on the loop's thread after `stop()`, once the commands posted before it were
    /// handled: `true` ends the loop now, `false` keeps it serving until `isDone` (a drain).
    func stopRequested() throws -> Bool
    /// Whether the loop may end; asked before every wait.
    var isDone: Bool { get }
    /// Runs once as the loop ends, with the error that ended it if one did (on its thread, or
    /// on the caller of `stop()` for a loop never started): close sockets, fail waiters.
    func finish(after error: (any Error)?)
}

extension SocketLoopHandler {
    public func handle(_ commands: [Command]) throws {}
    public func beforeWait() throws {}
    public var nextDeadline: ContinuousClock.Instant? { nil }
    public func stopRequested() throws -> Bool { true }
    public var isDone: Bool { false }
}

/// The items a `SocketLoop` waits on and what it calls when each is ready, in the order they
/// were registered: sockets with messages, file descriptors (an eventfd, a child's pipes) that
/// are readable or writable.
public final class SocketReactor {
    private var poller = Poller()
    private var readers: [Reader] = []

    private struct Reader {
        /// The socket watched, or `nil` for a file descriptor.
        let socket: Socket?
        let fileDescriptor: Int32
        /// A file descriptor watched for room to write rather than for input.
        let writable: Bool
        let body: () throws -> Void
    }

    init() {}

    /// Calls `body` each time `socket` may have messages; `body` receives them itself, with
    /// `dontWait`, as many as it wants to handle in one pass.
    public func onReadable(_ socket: Socket, _ body: @escaping () throws -> Void) {
        watch(Reader(socket: socket, fileDescriptor: -1, writable: false, body: body))
    }

    /// Calls `body` each time `fileDescriptor` is readable, at its end of file, or failed: `body`
    /// reads it without blocking and stops watching it before closing it.
    public func onReadable(fileDescriptor: Int32, _ body: @escaping () throws -> Void) {
        watch(Reader(socket: nil, fileDescriptor: fileDescriptor, writable: false, body: body))
    }

    /// Calls `body` each time `fileDescriptor` has room to write (or its reader has gone);
    /// `body` stops watching it once it has nothing left to write.
    public func onWritable(fileDescriptor: Int32, _ body: @escaping () throws -> Void) {
        watch(Reader(socket: nil, fileDescriptor: fileDescriptor, writable: true, body: body))
    }

    /// Calls `body` with what was posted to `mailbox` each time another thread posts to it.
    public func onPosted<Element>(_ mailbox: Mailbox<Element>, _ body: @escaping ([Element]) throws -> Void) {
        onReadable(fileDescriptor: mailbox.wakeup.fileDescriptor) {
            mailbox.wakeup.drain()
            try body(mailbox.take())
        }
    }

    /// Stops watching `socket` (before closing it, or to watch a fresh one in its place).
    public func stopWatching(_ socket: Socket) {
        stopWatching { $0.socket === socket }
    }

    /// Stops watching `fileDescriptor`, for reading and for writing (before closing it).
    public func stopWatching(fileDescriptor: Int32) {
        stopWatching { $0.socket == nil && $0.fileDescriptor == fileDescriptor }
    }

    private func watch(_ reader: Reader) {
        add(reader, to: poller)
        readers.append(reader)
    }

    private func add(_ reader: Reader, to poller: Poller) {
        if let socket = reader.socket {
            poller.addReadable(socket)
        } else if reader.writable {
            poller.addWritable(fileDescriptor: reader.fileDescriptor)
        } else {
            poller.addReadable(fileDescriptor: reader.fileDescriptor)
        }
    }

    /// Rebuilds the poller without the readers `unwatched` picks; the pass under way stops there.
    private func stopWatching(where unwatched: (Reader) -> Bool) {
        guard readers.contains(where: unwatched) else { return }
        readers.removeAll(where: unwatched)
        poller = Poller()
        for reader in readers { add(reader, to: poller) }
    }

    /// Waits until an item is ready or `deadline` passes, then calls the readers of the ready
    /// ones (a reader may stop watching an item: the rest of the pass skips what changed).
    func pass(until deadline: ContinuousClock.Instant?) throws {
        try poller.poll(until: deadline)
        let polled = poller
        for (index, reader) in readers.enumerated() where polled.isReady(index) {
            try reader.body()
            if poller !== polled { return }
        }
    }
}

/// What runs on a thread of its own until asked to stop: a `SocketLoop`, or a type built on one.
public protocol ThreadLoop: Sendable {
    /// Starts the thread.
    func start()
    /// Asks it to end; safe from any thread.
    func stop()
    /// Waits until it has ended; rethrows the error that ended it.
    func finished() async throws
}

/// A thread that owns its sockets, a poller, a wake-up and a typed mailbox, in the manner of
/// czmq's `zactor`: other threads `post` commands and `stop` it; its `SocketLoopHandler` does the rest.
///
/// Built idle: `start()` starts the thread, `stop()` asks it to end, and `join()` or
/// `finished()` wait until it has, rethrowing the error that ended it.
public final class SocketLoop<Command: Sendable>: ThreadLoop {
    private let name: String
    private let mailbox: Mailbox<Command>
    /// The handler's loop and its `finish`, until `start()` (or `stop()`) takes them.
    private let idle: Mutex<UncheckedTransfer<(run: () throws -> Void, finish: () -> Void)>?>
    private let outcome = Mutex(Outcome.running([]))
    private let ended = DispatchSemaphore(value: 0)

    private enum Outcome {
        case running([CheckedContinuation<Void, any Error>])
        case ended((any Error)?)
    }

    /// A loop for `handler`, which from now on belongs to the loop. Its commands arrive through
    /// `mailbox`, which the handler may keep to post to itself from threads it starts.
    public init<Handler: SocketLoopHandler>(name: String, mailbox: Mailbox<Command> = Mailbox(), handler: sending Handler) where Handler.Command == Command {
        self.name = name
        self.mailbox = mailbox
        idle = Mutex(UncheckedTransfer((run: { try Self.run(handler, mailbox: mailbox) }, finish: { handler.finish(after: nil) })))
    }

    /// Starts the thread; does nothing if it was started (or stopped) before.
    public func start() {
        guard let handler = idle.withLock({ $0.take() }) else { return }
        let thread = Thread { [self] in
            do {
                try handler.value.run()
                end(nil)
            } catch {
                end(error)
            }
        }
        thread.name = name
        thread.start()
    }

    /// Hands `command` to the loop, unless `limit` commands wait already or the loop was asked to stop.
    @discardableResult
    public func post(_ command: Command, ifFewerThan limit: Int = .max) -> Mailbox<Command>.Posted {
        mailbox.post(command, ifFewerThan: limit)
    }

    /// Asks the loop to end; commands posted before are still handled. Safe from any thread.
    /// A loop never started ends at once: its handler's `finish` runs on the calling thread.
    public func stop() {
        mailbox.close()
        guard let handler = idle.withLock({ $0.take() }) else { return }
        handler.value.finish()
        end(nil)
    }

    /// Blocks until the loop has ended; rethrows the error that ended it.
    public func join() throws {
        ended.wait()
        ended.signal()
        if case .ended(let error?) = outcome.withLock({ $0 }) { throw error }
    }

    /// Waits until the loop has ended; rethrows the error that ended it.
    public func finished() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result = outcome.withLock { outcome -> Result<Void, any Error>? in
                switch outcome {
                case .running(let waiting):
                    outcome = .running(waiting + [continuation])
                    return nil
                case .ended(let error?): return .failure(error)
                case .ended(nil): return .success(())
                }
            }
            if let result { continuation.resume(with: result) }
        }
    }

    private func end(_ error: (any Error)?) {
        let waiting = outcome.withLock { outcome -> [CheckedContinuation<Void, any Error>] in
            guard case .running(let waiting) = outcome else { return [] }
            outcome = .ended(error)
            return waiting
        }
        ended.signal()
        for continuation in waiting {
            if let error { continuation.resume(throwing: error) } else { continuation.resume() }
        }
    }

    /// The thread's loop: commands, the stop, then a wait on every registered item, until done.
    private static func run<Handler: SocketLoopHandler>(_ handler: Handler, mailbox: Mailbox<Command>) throws where Handler.Command == Command {
        do {
            try loop(handler, mailbox: mailbox)
        } catch {
            handler.finish(after: error)
            throw error
        }
        handler.finish(after: nil)
    }

    private static func loop<Handler: SocketLoopHandler>(_ handler: Handler, mailbox: Mailbox<Command>) throws where Handler.Command == Command {
        mailbox.adoptCurrentThread()
        let reactor = SocketReactor()
        try handler.start(reactor)
        reactor.onReadable(fileDescriptor: mailbox.wakeup.fileDescriptor) { mailbox.wakeup.drain() }
        var stopping = false
        while true {
            // Its own posts do not wake the loop: take until none are left.
            while case let commands = mailbox.take(), !commands.isEmpty { try handler.handle(commands) }
            if !stopping, mailbox.isClosed {
                stopping = true
                let last = mailbox.take()
                if !last.isEmpty { try handler.handle(last) }
                if try handler.stopRequested() { return }
            }
            try handler.beforeWait()
            if handler.isDone { return }
            try reactor.pass(until: handler.nextDeadline)
        }
    }
}

/// A value every reference of which was given up (`sending`) to the one thread that uses it next.
package struct UncheckedTransfer<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}
