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
