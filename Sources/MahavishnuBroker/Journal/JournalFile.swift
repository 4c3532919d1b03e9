import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The journal's file: a header, then records appended with `write(2)`, owned by one broker at
/// a time (an exclusive lock on `PATH.lock`).
///
/// Opening it reads every record. A last record cut short (the broker died while writing it) is
/// cut off and reported; damage anywhere else, a newer format or a lock held by another broker
/// is an error naming the file and what to do, never a silent fresh start.
final class JournalFile {
    let path: String
    /// The records read at open, oldest first, until `takeRecovered()`.
    private var recovered: [JournalRecord] = []
    /// Bytes cut off a torn last record at open (0 if none).
    private(set) var tornBytes = 0
    /// The file's size now.
    private(set) var size = 0
    private var descriptor: Int32
    private var lockDescriptor: Int32
    /// The file's descriptor and size while a replacement is written (`beginReplacement()`).
    private var replaced: (descriptor: Int32, size: Int)?

    static let magic: [UInt8] = Array("MHVJ".utf8)
    static let formatVersion: UInt32 = 2
    static var header: [UInt8] {
        var header = magic
        JournalRecord.appendInteger(formatVersion, to: &header)
        return header
    }

    /// Takes the exclusive lock on `descriptor`, waiting up to half a second for it: a lock is
    /// held by an open file description, which a child forked by the process that held it shares
    /// until its exec closes it, so a journal just closed can stay locked for that instant.
    private static func lock(_ descriptor: Int32) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(500)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline else { return false }
            usleep(5_000)
        }
        return true
    }

    init(path: String) throws(JournalError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        lockDescriptor = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lockDescriptor >= 0 else { throw JournalError(path, "cannot create its lock file \(path).lock: \(Self.lastError())") }
        guard Self.lock(lockDescriptor) else {
            Glibc.close(lockDescriptor)
            throw JournalError(path, "another broker is using it (its lock file \(path).lock is held); stop that broker, or give this one its own journal_path")
        }
        descriptor = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        // Fully initialized from here: `close()` marks both descriptors closed, so the deinit a
        // failed init still runs closes nothing twice (a second close could hit a descriptor
        // the process has reused since, a ZeroMQ socket's, say).
        guard descriptor >= 0 else {
            let problem = "cannot open it: \(Self.lastError())"
            close()
            throw JournalError(path, problem)
        }
        do {
            try load()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// The records read at open, oldest first; the file lets go of them.
    func takeRecovered() -> [JournalRecord] {
        defer { recovered = [] }
        return recovered
    }

    /// Closes the file and releases its lock, so another broker may open it; idempotent.
    func close() {
        guard lockDescriptor >= 0 else { return }
        abandonReplacement()
        if descriptor >= 0 { Glibc.close(descriptor) }
        Glibc.close(lockDescriptor)
        descriptor = -1
        lockDescriptor = -1
    }

    private func load() throws(JournalError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw JournalError(path, "cannot read it: \(Self.lastError())") }
        let bytes = [UInt8](data)
        if bytes.isEmpty {
            try append(Self.header)
            return
        }
        guard bytes.count >= Self.header.count, Array(bytes.prefix(4)) == Self.magic else {
            throw JournalError(path, "it is not a Mahavishnu journal (no MHVJ header); point journal_path at another file, or move this one away")
        }
        var reader = FieldReader(bytes: bytes[4...])
        let version = reader.integer() ?? 0
        guard version == Self.formatVersion else {
            throw JournalError(path, "it has journal format \(version) and this broker reads format \(Self.formatVersion); run the broker version that wrote it, or move the file away to start without its tasks")
        }
        var offset = Self.header.count
        while offset < bytes.count {
            var frame = FieldReader(bytes: bytes[offset...])
            guard let length = frame.integer(), let checksum = frame.integer(), frame.remaining >= Int(length) else {
                return try truncate(at: offset, of: bytes.count)
            }
            let payload = bytes[(offset + 8)..<(offset + 8 + Int(length))]
            let end = offset + 8 + Int(length)
            guard payload.withUnsafeBytes({ CRC32.checksum($0) }) == checksum, let record = JournalRecord.decode(payload: payload) else {
                if end == bytes.count { return try truncate(at: offset, of: bytes.count) }
                throw JournalError(path, "the record at byte \(offset) is damaged (checksum mismatch) and more records follow it; restore the file from a backup, or move it away to start without its tasks")
            }
            recovered.append(record)
            offset = end
        }
        size = bytes.count
    }

    /// Cuts a torn last record off the file.
    private func truncate(at offset: Int, of length: Int) throws(JournalError) {
        guard ftruncate(descriptor, off_t(offset)) == 0 else { throw JournalError(path, "cannot cut off its torn last record: \(Self.lastError())") }
        tornBytes = length - offset
        size = offset
    }

    /// Appends `bytes` (whole records) with `write(2)`: once it returns, they survive this process dying.
    ///
    /// A write that fails part way (a full disk takes what fits) is cut off again, so the file
    /// still ends with a whole record and the next try writes all of `bytes` after it, not after
    /// a fragment that would read as damage before the last record.
    func append(_ bytes: [UInt8]) throws(JournalError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                let problem = "cannot write to it: \(Self.lastError())"
                if written > 0 { ftruncate(descriptor, off_t(size)) }
                throw JournalError(path, problem)
            }
            written += result
        }
        size += bytes.count
    }

    /// Makes what was appended survive the machine losing power (`fdatasync(2)`).
    func sync() throws(JournalError) {
        guard fdatasync(descriptor) == 0 else { throw JournalError(path, "cannot sync it to the disk: \(Self.lastError())") }
    }

    /// Replaces the file with the header and the records `write` appends, a batch at a time, with
    /// the function it is given (compaction): written beside it, then renamed over it, so a crash
    /// leaves either the old file or the new one; `durably`, synced before and after the rename,
    /// so a power loss does too.
    func replace(durably: Bool, _ write: (_ append: ([UInt8]) throws(JournalError) -> Void) throws(JournalError) -> Void) throws(JournalError) {
        try beginReplacement()
        do throws(JournalError) {
            try write(append)
            try commitReplacement(durably: durably)
        } catch {
            abandonReplacement()
            throw error
        }
    }

    /// Starts a replacement: from now on `append` writes the header and records to `PATH.compacting`,
    /// until `commitReplacement` renames it over the file or `abandonReplacement` removes it.
    /// (A passive broker receives its peer's snapshot this way, across many passes of its loop.)
    func beginReplacement() throws(JournalError) {
        abandonReplacement()
        let fresh = open(replacementPath, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        guard fresh >= 0 else { throw JournalError(path, "cannot create \(replacementPath) to replace it: \(Self.lastError())") }
        replaced = (descriptor, size)
        descriptor = fresh
        size = 0
        do {
            try append(Self.header)
        } catch {
            abandonReplacement()
            throw error
        }
    }

    /// Makes the replacement the file; `durably`, synced before and after the rename.
    func commitReplacement(durably: Bool) throws(JournalError) {
        guard let (old, _) = replaced else { return }
        guard !durably || fsync(descriptor) == 0, rename(replacementPath, path) == 0 else {
            let problem = "cannot replace it: \(Self.lastError())"
            abandonReplacement()
            throw JournalError(path, problem)
        }
        if durably { Self.syncDirectory(of: path) }
        Glibc.close(old)
        replaced = nil
    }

    /// Drops a replacement under way; the file is as before it began.
    func abandonReplacement() {
        guard let (old, oldSize) = replaced else { return }
        Glibc.close(descriptor)
        unlink(replacementPath)
        (descriptor, size) = (old, oldSize)
        replaced = nil
    }

    private var replacementPath: String { path + ".compacting" }

    /// Syncs the directory of `path`, so a file created or renamed in it survives a power loss.
    static func syncDirectory(of path: String) {
        let directory = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return }
        fsync(directory)
        Glibc.close(directory)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// The journal cannot be used: the message names the file and what to do.
public struct JournalError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ path: String, _ problem: String) {
        description = "journal \(path): \(problem)"
    }
}
