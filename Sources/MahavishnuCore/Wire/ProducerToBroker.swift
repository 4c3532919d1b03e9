import ZeroMQ

/// What a producer sends the broker on the frontend (`docs/protocol.md`, "Producer → broker").
public enum ProducerToBroker: Sendable {
    /// Submit a task.
    case task(SubmittedTask)
    /// An administrative request; its reply is a `REPLY` with the same request id.
    case control(requestID: [UInt8], command: ControlCommand, arguments: [UInt8])

    public var encoded: WireMessage {
        switch self {
        case .task(let task):
            WireMessage(Wire.Command.task, task.taskID, task.selector.map(SelectorName.bytes) ?? [], task.affinity, task.fallback, body: task.body)
                .trailed(by: task.schedule.isEmpty ? nil : task.schedule)
        case .control(let requestID, let command, let arguments):
            WireMessage(Wire.Command.control, requestID, Array(command.rawValue.utf8), arguments)
        }
    }

    /// Decodes the message whose version frame is at `first` (after the routing id, and the
    /// empty delimiter a `REQ` producer sends).
    public init(frames: Frames, first: Int) throws(WireDecodingError) {
        let reader = try WireReader.open(frames, first: first)
        if reader.isCommand(Wire.Command.task) {
            try reader.expect(5...6, "TASK takes 7 frames (MHV1, TASK, task id, selector, affinity, fallback, body), or 8 with a schedule", reference: reader.reference(0))
            let taskID = try reader.id(0, "task id")
            var selector: PoolSelector?
            if reader.size(1) > 0 {
                guard let named = SelectorName.all.first(where: { reader.field(1, equals: $0.bytes) })?.selector else {
                    throw WireDecodingError(.invalidSelector, "invalid selector '\(reader.string(1))'; valid selectors: \(PoolSelector.validNames)", reference: taskID)
                }
                selector = named
            }
            // Empty frames cost no copy: only affinity tasks carry these.
            let affinity = reader.size(2) > 0 ? reader.bytes(2) : []
            let fallback = reader.size(3) > 0 ? reader.bytes(3) : []
            let schedule = reader.fieldCount == 6 && reader.size(5) > 0 ? reader.bytes(5) : []
            self = .task(SubmittedTask(taskID: taskID, selector: selector, affinity: affinity, fallback: fallback, body: reader.payload(4), schedule: schedule))
        } else if reader.isCommand(Wire.Command.control) {
            try reader.expect(3, "CTRL takes 5 frames (MHV1, CTRL, request id, command, JSON arguments)", reference: reader.reference(0))
            let requestID = try reader.id(0, "request id")
            guard let command = ControlCommand(rawValue: reader.string(1)) else {
                throw WireDecodingError(.unknownCommand, "unknown control command '\(reader.string(1))'; known: \(ControlCommand.validNames)", reference: requestID)
            }
            self = .control(requestID: requestID, command: command, arguments: reader.bytes(2))
        } else {
            throw WireDecodingError(.unknownCommand, "unknown command '\(reader.commandName)'; producers send TASK or CTRL", reference: reader.reference(0))
        }
    }
}

/// A producer's `TASK`.
public struct SubmittedTask: Sendable {
    /// 1 to 255 bytes, chosen by the producer.
    public var taskID: [UInt8]
    /// `nil`: the broker's default.
    public var selector: PoolSelector?
    /// With `affinity`: the pool's id or name; otherwise empty.
    public var affinity: [UInt8]
    /// With `affinity`: the name of the selector to use if no live pool has that id or name,
    /// empty for none. The broker checks it when the task is routed by affinity.
    public var fallback: [UInt8]
    /// The task object, JSON, forwarded without being read.
    public var body: Payload
    /// The schedule frame (`TaskSchedule`) as sent: empty for none, which costs the broker nothing.
    public var schedule: [UInt8]

    public init(taskID: [UInt8], selector: PoolSelector? = nil, affinity: [UInt8] = [], fallback: [UInt8] = [], body: Payload, schedule: [UInt8] = []) {
        self.taskID = taskID
        self.selector = selector
        self.affinity = affinity
        self.fallback = fallback
        self.body = body
        self.schedule = schedule
    }
}

/// Selector names as bytes, so a selector frame is matched and written without building a string.
public enum SelectorName {
    public static let all: [(bytes: [UInt8], selector: PoolSelector)] = PoolSelector.allCases.map { (Array($0.rawValue.utf8), $0) }

    public static func bytes(_ selector: PoolSelector) -> [UInt8] {
        all.first { $0.selector == selector }!.bytes
    }

    /// The selector `bytes` names; `nil` for an unknown name.
    public static func selector(named bytes: [UInt8]) -> PoolSelector? {
        all.first { $0.bytes == bytes }?.selector
    }
}
