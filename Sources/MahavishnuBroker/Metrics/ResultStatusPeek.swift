import MahavishnuCore
import ZeroMQ

/// A result's `status`, read straight off its JSON without decoding it: the broker passes result
/// bodies on unread, and needs only this one field to count them.
///
/// It finds the last `"status":"…"` of the object. No string value can hold that text (its
/// quotes would be escaped), and results are written with sorted keys, so `status` comes after
/// `output` and before only short fields: the search from the end reads a few dozen bytes.
enum ResultStatusPeek {
    private static let key = Array(#""status""#.utf8)

    static func status(of body: Payload) -> TaskStatus? {
        body.withBytes { bytes in
            guard bytes.count > key.count else { return nil }
            var start = bytes.count - key.count
            while start >= 0 {
                if bytes[start] == UInt8(ascii: "\""), matchesKey(bytes, at: start) {
                    return value(bytes, after: start + key.count)
                }
                start -= 1
            }
            return nil
        }
    }

    private static func matchesKey(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Bool {
        for offset in 1..<key.count where bytes[start + offset] != key[offset] { return false }
        return true
    }

    /// The string after `:` at `index` (spaces allowed around it), as a status.
    private static func value(_ bytes: UnsafeRawBufferPointer, after index: Int) -> TaskStatus? {
        var index = index
        func skipSpaces() { while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 } }
        skipSpaces()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
        index += 1
        skipSpaces()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")), end - start <= 16 else { return nil }
        return TaskStatus(rawValue: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
    }
}
