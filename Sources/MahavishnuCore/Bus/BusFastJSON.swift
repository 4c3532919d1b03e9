/// The bus JSON sent once per finished task (its header and `task_completed`), written and
/// read by hand: the memory aggregator receives one of each for every task.
extension BusHeader: FastJSONEncodable, FastJSONDecodable {
    public func fastJSON() -> [UInt8]? {
        guard timestamp.isFinite else { return nil }
        var writer = JSONObjectWriter(capacity: 96 + sourcePoolID.utf8.count + (targetPoolID?.utf8.count ?? 0))
        writer.field(#""source_pool_id":"#, string: sourcePoolID)
        if let targetPoolID { writer.field(#""target_pool_id":"#, string: targetPoolID) }
        writer.field(#""timestamp":"#, double: timestamp)
        writer.field(#""type":"#, string: type.rawValue)
        return writer.finish()
    }

    public init?(fastJSON bytes: UnsafeBufferPointer<UInt8>) {
        var type: BusMessageType?
        var source: String?
        var target: String??
        var timestamp: Double?
        var scanner = JSONScanner(bytes: bytes)
        let complete = scanner.object { key, value in
            switch key {
            case "type": JSONScanner.once(&type) { value.string().flatMap(BusMessageType.init(rawValue:)) }
            case "source_pool_id": JSONScanner.once(&source) { value.string() }
            case "target_pool_id": JSONScanner.once(&target) { value.nullable { $0.string() } }
            case "timestamp": JSONScanner.once(&timestamp) { value.double() }
            default: value.skipScalar()
            }
        }
        guard complete, let type, let source, let timestamp else { return nil }
        self.type = type
        sourcePoolID = source
        targetPoolID = target ?? nil
        self.timestamp = timestamp
    }
}

extension TaskCompletedEvent: FastJSONEncodable, FastJSONDecodable {
    public func fastJSON() -> [UInt8]? {
        guard completedAt.isFinite, duration.isFinite, startedAt.isFinite else { return nil }
        let text = [taskID, poolID, poolName, workerID, prompt, output, error ?? ""].reduce(0) { $0 + $1.utf8.count }
        var writer = JSONObjectWriter(capacity: 220 + text)
        writer.field(#""completed_at":"#, double: completedAt)
        writer.field(#""duration":"#, double: duration)
        if let error { writer.field(#""error":"#, string: error) }
        writer.field(#""output":"#, string: output)
        writer.field(#""pool_id":"#, string: poolID)
        writer.field(#""pool_name":"#, string: poolName)
        writer.field(#""prompt":"#, string: prompt)
        writer.field(#""started_at":"#, double: startedAt)
        writer.field(#""status":"#, string: status.rawValue)
        writer.field(#""task_id":"#, string: taskID)
        writer.field(#""worker_id":"#, string: workerID)
        return writer.finish()
    }

    public init?(fastJSON bytes: UnsafeBufferPointer<UInt8>) {
        var taskID, poolID, poolName, workerID, prompt, output: String?
        var duration, startedAt, completedAt: Double?
        var status: TaskStatus?
        var error: String??
        var scanner = JSONScanner(bytes: bytes)
        let complete = scanner.object { key, value in
            switch CodingKeys(stringValue: key) {
            case .taskID: JSONScanner.once(&taskID) { value.string() }
            case .poolID: JSONScanner.once(&poolID) { value.string() }
            case .poolName: JSONScanner.once(&poolName) { value.string() }
            case .workerID: JSONScanner.once(&workerID) { value.string() }
            case .prompt: JSONScanner.once(&prompt) { value.string() }
            case .output: JSONScanner.once(&output) { value.string() }
            case .duration: JSONScanner.once(&duration) { value.double() }
            case .startedAt: JSONScanner.once(&startedAt) { value.double() }
            case .completedAt: JSONScanner.once(&completedAt) { value.double() }
            case .status: JSONScanner.once(&status) { value.string().flatMap(TaskStatus.init(rawValue:)) }
            case .error: JSONScanner.once(&error) { value.nullable { $0.string() } }
            case nil: value.skipScalar()
            }
        }
        guard complete, let taskID, let poolID, let poolName, let workerID, let prompt, let output,
              let duration, let startedAt, let completedAt, let status else { return nil }
        self.taskID = taskID
        self.poolID = poolID
        self.poolName = poolName
        self.workerID = workerID
        self.status = status
        self.error = error ?? nil
        self.duration = duration
        self.prompt = prompt
        self.output = output
        self.startedAt = startedAt
        self.completedAt = completedAt
    }
}
