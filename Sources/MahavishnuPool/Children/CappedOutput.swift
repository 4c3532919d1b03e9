import Foundation

/// The bytes a program wrote to one stream, up to a cap: the rest is dropped and remembered as cut.
struct CappedOutput {
    let cap: Int
    private(set) var bytes: [UInt8] = []
    /// More than `cap` bytes arrived.
    private(set) var truncated = false

    init(cap: Int) {
        self.cap = cap
    }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        let room = cap - bytes.count
        if chunk.count > room { truncated = true }
        bytes.append(contentsOf: chunk.prefix(max(0, room)))
    }

    /// The text kept (invalid UTF-8 shown as U+FFFD); a character the cap split is left out whole.
    var text: String {
        String(decoding: truncated ? Self.completeCharacters(bytes[...]) : bytes[...], as: UTF8.self)
    }

    /// The last `count` bytes or so as text, trimmed, for error messages.
    func tail(_ count: Int) -> String {
        var start = max(0, bytes.count - count)
        while start < bytes.count && bytes[start] & 0xC0 == 0x80 { start += 1 }
        return String(decoding: bytes[start...], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `bytes` without a last UTF-8 sequence that the cap cut short.
    static func completeCharacters(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lead = bytes.endIndex - 1
        while lead > bytes.startIndex && lead > bytes.endIndex - 4 && bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        guard lead >= bytes.startIndex else { return bytes }
        let byte = bytes[lead]
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
        return lead + length > bytes.endIndex ? bytes[..<lead] : bytes
    }
}
