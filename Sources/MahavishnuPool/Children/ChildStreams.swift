#if canImport(Glibc)
import Glibc
#endif

/// The pool's side of a child's standard streams: feeds its standard input, drains its standard
/// output and standard error, and notices its exit, all in one `poll` on the owning thread.
final class ChildStreams {
    /// What one `pump` saw.
    struct Events {
        /// The child has exited (it still has to be reaped).
        var exited = false
        /// Those of the extra descriptors that are readable.
        var readable: Set<Int32> = []
    }

    let child: ChildProcess
    private var input: [UInt8] = []
    private var inputOffset = 0
    private var closeInputWhenWritten = false

    init(_ child: ChildProcess) {
        self.child = child
    }

    /// Queues `bytes` for the child's standard input; with `thenClose`, closes it once they are written.
    func send(_ bytes: [UInt8], thenClose: Bool = false) {
        input.append(contentsOf: bytes)
        closeInputWhenWritten = thenClose
        if input.isEmpty && thenClose { child.closeStandardInput() }
    }

    /// Waits up to `timeoutMilliseconds` (-1: no limit) for the child or one of `extra`, then moves
    /// whatever bytes can move without blocking: output to `stdout` and `stderr`, queued input to the child.
    func pump(
        timeoutMilliseconds: Int32, extra: [Int32] = [],
        stdout: (UnsafeRawBufferPointer) -> Void, stderr: (UnsafeRawBufferPointer) -> Void
    ) -> Events {
        var fds = extra.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: child.exitDescriptor, events: Int16(POLLIN), revents: 0))
        fds.append(pollfd(fd: child.standardOutput, events: Int16(POLLIN), revents: 0))
        fds.append(pollfd(fd: child.standardError, events: Int16(POLLIN), revents: 0))
        let writing = child.standardInput >= 0 && inputOffset < input.count
        fds.append(pollfd(fd: writing ? child.standardInput : -1, events: Int16(POLLOUT), revents: 0))
        var ready = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        while ready < 0 && errno == EINTR { ready = poll(&fds, nfds_t(fds.count), timeoutMilliseconds) }
        var events = Events()
        guard ready > 0 else { return events }
        for item in fds.prefix(extra.count) where item.revents != 0 { events.readable.insert(item.fd) }
        let (exit, out, err, ins) = (fds[extra.count], fds[extra.count + 1], fds[extra.count + 2], fds[extra.count + 3])
        if out.revents != 0 { child.standardOutput = Self.read(child.standardOutput, into: stdout) }
        if err.revents != 0 { child.standardError = Self.read(child.standardError, into: stderr) }
        if ins.revents != 0 { writeInput() }
        events.exited = exit.revents != 0
        return events
    }

    /// After the child has exited: takes what its pipes still hold, without waiting for more.
    func drain(stdout: (UnsafeRawBufferPointer) -> Void, stderr: (UnsafeRawBufferPointer) -> Void) {
        if child.standardOutput >= 0 { child.standardOutput = Self.read(child.standardOutput, into: stdout) }
        if child.standardError >= 0 { child.standardError = Self.read(child.standardError, into: stderr) }
    }

    /// Reads `fd` until it would block; returns `fd`, or -1 (having closed it) at end of file.
    private static func read(_ fd: Int32, into sink: (UnsafeRawBufferPointer) -> Void) -> Int32 {
        withUnsafeTemporaryAllocation(byteCount: 65_536, alignment: 1) { buffer in
            while true {
                let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if count > 0 {
                    sink(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                } else if count < 0 && errno == EINTR {
                    continue
                } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    return fd
                } else {
                    close(fd)
                    return -1
                }
            }
        }
    }

    /// Writes queued input until the pipe is full; a child that closed its input gets no more.
    private func writeInput() {
        while inputOffset < input.count {
            let count = input.withUnsafeBytes { bytes in
                write(child.standardInput, bytes.baseAddress! + inputOffset, bytes.count - inputOffset)
            }
            if count > 0 {
                inputOffset += count
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                input.removeAll()
                inputOffset = 0
                child.closeStandardInput()
                return
            }
        }
        input.removeAll(keepingCapacity: true)
        inputOffset = 0
        if closeInputWhenWritten { child.closeStandardInput() }
    }
}
