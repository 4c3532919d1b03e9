/// The JSON a pool reads and writes for every task, without Foundation's Codable machinery.
///
/// `JSONCoding` (JSONEncoder/JSONDecoder) cost a pool process about three quarters of its
/// instructions per task. These produce exactly what `JSONCoding` produces: the encoder is
/// byte-identical, and the decoder takes a fast path only for flat objects it fully
/// understands, handing anything else to `JSONCoding.decode` so results and errors stay the same.
public enum TaskJSON {
    /// `JSONCoding.encode(result)`, byte for byte.
    public static func encode(_ result: TaskResult) throws -> [UInt8] {
        guard result.duration.isFinite else { return try JSONCoding.encode(result) }
        var writer = JSONObjectWriter(capacity: 160 + result.output.utf8.count + result.taskID.utf8.count + (result.error?.utf8.count ?? 0) + (result.stderr?.utf8.count ?? 0))
        // Keys in sorted order, as `JSONCoding` sorts them; nil optionals are left out.
        if let attempts = result.attempts { writer.field(#""attempts":"#, number: String(attempts)) }
        writer.field(#""duration":"#, number: number(result.duration))
        if let error = result.error { writer.field(#""error":"#, string: error) }
        if let exitCode = result.exitCode { writer.field(#""exit_code":"#, number: String(exitCode)) }
        writer.field(#""output":"#, string: result.output)
        if let truncated = result.outputTruncated { writer.field(#""output_truncated":"#, number: String(truncated)) }
        writer.field(#""pool_id":"#, string: result.poolID)
        writer.field(#""status":"#, string: result.status.rawValue)
        if let stderr = result.stderr { writer.field(#""stderr":"#, string: stderr) }
        if let truncated = result.stderrTruncated { writer.field(#""stderr_truncated":"#, number: String(truncated)) }
        writer.field(#""task_id":"#, string: result.taskID)
        writer.field(#""worker_id":"#, string: result.workerID)
        return writer.finish()
    }

    /// `JSONCoding.decode(TaskRequest.self, from: bytes)`: the same value, or the same error.
    public static func decodeTask(_ bytes: [UInt8]) throws -> TaskRequest {
        let task = bytes.withUnsafeBufferPointer { buffer in
            var parser = FlatTaskParser(bytes: buffer)
            return parser.parse()
        }
        if let task { return task }
        return try JSONCoding.decode(TaskRequest.self, from: bytes)
    }

    /// A Double as JSONEncoder writes it: its shortest description, without a trailing `.0`.
    private static func number(_ value: Double) -> String {
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}

/// Writes one flat JSON object with JSONEncoder's escaping: `"` and `\` escaped, control
/// characters as `\b \t \n \f \r` or `\u00xx`, everything else (slashes, non-ASCII) as is.
private struct JSONObjectWriter {
    private var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Writes `"key":` then a number or boolean literal; `key` comes quoted and with its colon.
    mutating func field(_ key: StaticString, number: String) {
        self.key(key)
        bytes.append(contentsOf: number.utf8)
    }

    /// Writes `"key":` then the string, quoted and escaped.
    mutating func field(_ key: StaticString, string: String) {
        self.key(key)
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { text in
            var runStart = 0
            for (index, byte) in text.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<index]))
                appendEscaped(byte)
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        let short: UInt8? = switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte
        case 0x08: UInt8(ascii: "b")
        case 0x09: UInt8(ascii: "t")
        case 0x0A: UInt8(ascii: "n")
        case 0x0C: UInt8(ascii: "f")
        case 0x0D: UInt8(ascii: "r")
        default: nil
        }
        bytes.append(UInt8(ascii: "\\"))
        if let short { return bytes.append(short) }
        let hex: StaticString = "0123456789abcdef"
        let prefix: StaticString = "u00"
        prefix.withUTF8Buffer { bytes.append(contentsOf: $0) }
        hex.withUTF8Buffer { digits in
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0xF)])
        }
    }

    private mutating func key(_ key: StaticString) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
