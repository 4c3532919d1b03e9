/// The task body and result JSON a pool reads and writes for every task.
extension TaskRequest: FastJSONDecodable {
    public init?(fastJSON bytes: UnsafeBufferPointer<UInt8>) {
        guard let task = FlatTaskParser.parse(bytes) else { return nil }
        self = task
    }
}

extension TaskResult: FastJSONEncodable {
    public func fastJSON() -> [UInt8]? {
        guard duration.isFinite else { return nil }
        var writer = JSONObjectWriter(capacity: 160 + output.utf8.count + taskID.utf8.count + (error?.utf8.count ?? 0) + (stderr?.utf8.count ?? 0))
        // Keys in sorted order, as `JSONCoding` sorts them; nil optionals are left out.
        if let attempts { writer.field(#""attempts":"#, number: String(attempts)) }
        writer.field(#""duration":"#, double: duration)
        if let error { writer.field(#""error":"#, string: error) }
        if let exitCode { writer.field(#""exit_code":"#, number: String(exitCode)) }
        writer.field(#""output":"#, string: output)
        if let outputTruncated { writer.field(#""output_truncated":"#, number: String(outputTruncated)) }
        writer.field(#""pool_id":"#, string: poolID)
        writer.field(#""status":"#, string: status.rawValue)
        if let stderr { writer.field(#""stderr":"#, string: stderr) }
        if let stderrTruncated { writer.field(#""stderr_truncated":"#, number: String(stderrTruncated)) }
        writer.field(#""task_id":"#, string: taskID)
        writer.field(#""worker_id":"#, string: workerID)
        return writer.finish()
    }
}
