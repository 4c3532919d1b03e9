import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The pair's epoch as this broker last knew it, kept beside its journal (`PATH.epoch`), so a
/// broker that restarts never serves at an epoch below one it has served at.
struct EpochFile {
    let path: String

    init(journal: String) { path = journal + ".epoch" }

    /// The epoch stored, 0 if none is.
    func read() throws(JournalError) -> UInt64 {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let epoch = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw JournalError(path, "it does not hold an epoch (a decimal number); restore it, or remove it only if this broker's peer is not active")
        }
        return epoch
    }

    /// Stores `epoch` durably (written beside, synced, renamed over, the directory synced), before the broker serves at it.
    func write(_ epoch: UInt64) throws(JournalError) {
        let temporary = path + ".new"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw JournalError(path, "cannot write the epoch: \(String(cString: strerror(errno)))") }
        let bytes = Array("\(epoch)\n".utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        Glibc.close(descriptor)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            throw JournalError(path, "cannot write the epoch: \(String(cString: strerror(errno)))")
        }
        JournalFile.syncDirectory(of: path)
    }
}
