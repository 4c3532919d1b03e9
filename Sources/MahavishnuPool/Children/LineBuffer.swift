/// A program's standard output as it arrives, cut into lines and handed on one line at a time
/// for as long as the taker accepts them; a line it refuses stays first for the next try.
struct LineBuffer {
    private var bytes: [UInt8] = []
    /// Where the first line not yet taken starts.
    private var start = 0

    /// Bytes after the last line taken (a line in the making included).
    var count: Int { bytes.count - start }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        if start > 0 && start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        }
        bytes.append(contentsOf: chunk)
    }

    /// Hands each complete line, without its newline, to `take` until it returns `false`;
    /// `true` if every complete line was taken.
    mutating func takeLines(_ take: ([UInt8]) -> Bool) -> Bool {
        defer { compact() }
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            guard take(Array(bytes[start..<newline])) else { return false }
            start = newline + 1
        }
        return true
    }

    /// Hands what is left after the last newline to `take`, if anything is; `false` if it refused it.
    mutating func takeRest(_ take: ([UInt8]) -> Bool) -> Bool {
        guard count > 0 else { return true }
        guard take(Array(bytes[start...])) else { return false }
        removeAll()
        return true
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        start = 0
    }

    /// Drops the lines taken once they are most of the buffer, so it does not grow with them.
    private mutating func compact() {
        if start > 0 && start * 2 >= bytes.count {
            bytes.removeSubrange(..<start)
            start = 0
        }
    }
}
