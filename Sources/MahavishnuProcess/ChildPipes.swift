import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// A child's standard streams and exit, watched on a `SocketLoop`'s reactor: it feeds the
/// child's standard input, hands its output to `stdout` and `stderr` as it arrives, and calls
/// `exited` once the child has exited (after which the owner drains and reaps it).
///
/// - Important: used on the loop's thread only; end it with `reap()`, which stops watching.
package final class ChildPipes {
    package let child: ChildProcess
    private let reactor: SocketReactor
    private let stdout: (UnsafeRawBufferPointer) -> Void
    private let stderr: (UnsafeRawBufferPointer) -> Void
    private var input: [UInt8] = []
    private var inputOffset = 0
    private var closeInputWhenWritten = false
    /// The standard input is watched for room to write.
    private var writing = false
    /// The standard output is not read for now (`pauseOutput`).
    private(set) package var outputPaused = false

    package init(
        _ child: ChildProcess, on reactor: SocketReactor,
        stdout: @escaping (UnsafeRawBufferPointer) -> Void, stderr: @escaping (UnsafeRawBufferPointer) -> Void,
        exited: @escaping () -> Void
    ) {
        self.child = child
        self.reactor = reactor
        self.stdout = stdout
        self.stderr = stderr
        let exitDescriptor = child.exitDescriptor
        // Readable for good once the child has exited: watched once.
        reactor.onReadable(fileDescriptor: exitDescriptor) {
            reactor.stopWatching(fileDescriptor: exitDescriptor)
            exited()
        }
        watchOutput()
        if child.standardError >= 0 { reactor.onReadable(fileDescriptor: child.standardError) { [unowned self] in readError() } }
    }

    /// Queues `bytes` for the child's standard input; with `thenClose`, closes it once they are written.
    package func send(_ bytes: [UInt8], thenClose: Bool = false) {
        guard child.standardInput >= 0 else { return }
        input.append(contentsOf: bytes)
        closeInputWhenWritten = thenClose
        writeInput()
    }

    /// Closes the child's standard input, so it reads end of file; what was queued is dropped.
    package func closeInput() {
        let fd = child.standardInput
        guard fd >= 0 else { return }
        if writing { reactor.stopWatching(fileDescriptor: fd) }
        writing = false
        input.removeAll()
        inputOffset = 0
        child.closeStandardInput()
    }

    /// After the child has exited: takes what its pipes still hold, without waiting for more
    /// (its standard output only if it is not paused).
    package func drain() {
        if !outputPaused { readOutput() }
        readError()
    }

    /// Stops reading the child's standard output, so a child that writes more blocks once the
    /// pipe is full; `resumeOutput` reads on.
    package func pauseOutput() {
        guard !outputPaused else { return }
        outputPaused = true
        if child.standardOutput >= 0 { reactor.stopWatching(fileDescriptor: child.standardOutput) }
    }

    /// Reads the child's standard output again: what the pipe holds now, then as it comes.
    package func resumeOutput() {
        guard outputPaused else { return }
        outputPaused = false
        watchOutput()
        readOutput()
    }

    private func watchOutput() {
        if child.standardOutput >= 0 { reactor.onReadable(fileDescriptor: child.standardOutput) { [unowned self] in readOutput() } }
    }

    /// The child's standard error has reached its end of file (or it had none).
    package var errorEnded: Bool { child.standardError < 0 }

    /// Once the child has exited: stops watching its descriptors and reaps it (`ChildProcess.reap`).
    package func reap() -> Termination {
        for fd in [child.standardInput, child.standardOutput, child.standardError, child.exitDescriptor] where fd >= 0 {
            reactor.stopWatching(fileDescriptor: fd)
        }
        writing = false
        return child.reap()
    }

    private func readOutput() {
        let fd = child.standardOutput
        child.readStandardOutput(into: stdout) { [unowned self] in outputPaused }
        if fd >= 0 && child.standardOutput < 0 { reactor.stopWatching(fileDescriptor: fd) }
    }

    private func readError() {
        let fd = child.standardError
        child.readStandardError(into: stderr)
        if fd >= 0 && child.standardError < 0 { reactor.stopWatching(fileDescriptor: fd) }
    }

    /// Writes queued input until the pipe is full (then waits for room), or all of it; a child
    /// that closed its input gets no more.
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
                if !writing { reactor.onWritable(fileDescriptor: child.standardInput) { [unowned self] in writeInput() } }
                writing = true
                return
            } else {
                return closeInput()
            }
        }
        input.removeAll(keepingCapacity: true)
        inputOffset = 0
        if writing { reactor.stopWatching(fileDescriptor: child.standardInput) }
        writing = false
        if closeInputWhenWritten { closeInput() }
    }
}
