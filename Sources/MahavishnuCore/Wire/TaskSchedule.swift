import Foundation

/// When and in what order a task runs: `TASK`'s optional schedule frame (`docs/protocol.md`,
/// "Scheduling a task"), a JSON object with any of `priority`, `deadline` or `expires_in`, and
/// `eta` or `delay`.
///
/// The broker resolves relative times (`expires_in`, `delay`) against its own clock when the
/// task arrives, so what it keeps (and journals) holds absolute times only.
public struct TaskSchedule: Sendable, Equatable {
    /// Priorities run from 0 to 9, higher first.
    public static let priorities: ClosedRange<Int> = 0...9
    /// The priority of a task that names none: the middle of the range.
    public static let defaultPriority = 5
    /// How long a task must wait to rank one priority higher: a task of priority `p` is served
    /// as if it had arrived `(9 - p) × agingPerLevel` later than a priority-9 task, so a low
    /// priority waits at most `9 × agingPerLevel` behind a stream of higher ones.
    public static let agingPerLevel: Duration = .seconds(10)

    /// 0 to 9; higher runs first among tasks waiting for the same pools.
    public var priority: Int
    /// Never dispatched after this, in milliseconds since 1970; `nil` for no deadline.
    public var deadline: UInt64?
    /// Never dispatched before this, in milliseconds since 1970; `nil` to run at once.
    public var eta: UInt64?
    /// The producer wants the task's partial outputs (`PARTIAL`) before its result.
    public var stream: Bool

    public init(priority: Int = TaskSchedule.defaultPriority, deadline: UInt64? = nil, eta: UInt64? = nil, stream: Bool = false) {
        self.priority = priority
        self.deadline = deadline
        self.eta = eta
        self.stream = stream
    }

    /// Whether it asks for nothing: such a task's schedule frame may be left out.
    public var isDefault: Bool { self == TaskSchedule() }

    /// The frame that carries it, with absolute times: what the journal keeps. Empty when default.
    public var frame: [UInt8] {
        guard !isDefault else { return [] }
        var fields: [String] = []
        if priority != Self.defaultPriority { fields.append("\"priority\":\(priority)") }
        if let deadline { fields.append("\"deadline\":\(Self.seconds(deadline))") }
        if let eta { fields.append("\"eta\":\(Self.seconds(eta))") }
        if stream { fields.append("\"stream\":true") }
        return Array("{\(fields.joined(separator: ","))}".utf8)
    }

    /// Keys a schedule frame may hold: numbers, and `stream`, a boolean.
    public static let keys = ["priority", "deadline", "expires_in", "eta", "delay", "stream"]

    /// Reads a schedule frame (empty: the default) received at `now` (milliseconds since 1970);
    /// the error names the key at fault and what it takes.
    public init(frame: [UInt8], receivedAt now: UInt64) throws(ScheduleError) {
        self.init()
        guard !frame.isEmpty else { return }
        let fields: ScheduleFields
        do {
            fields = try JSONCoding.decode(ScheduleFields.self, from: frame)
        } catch let error as ScheduleError {
            throw error
        } catch {
            throw ScheduleError("the schedule frame must be a JSON object with any of \(Self.keys.joined(separator: ", ")) (numbers)")
        }
        if let priority = fields["priority"] {
            guard let whole = Int(exactly: priority), Self.priorities.contains(whole) else {
                throw ScheduleError("'priority' must be a whole number from 0 to 9 (higher runs first; default \(Self.defaultPriority)); got \(priority)")
            }
            self.priority = whole
        }
        // In whole milliseconds, a deadline rounded down and an eta up: a task never runs past
        // the one or before the other.
        deadline = try Self.time(fields, absolute: "deadline", relative: "expires_in", now: now, zeroAllowed: false, rounding: .down)
        eta = try Self.time(fields, absolute: "eta", relative: "delay", now: now, zeroAllowed: true, rounding: .up)
        stream = fields.stream ?? false
    }

    /// The absolute time `fields` give under `absolute` (epoch seconds) or `relative` (seconds from `now`), in milliseconds.
    private static func time(_ fields: ScheduleFields, absolute: String, relative: String, now: UInt64, zeroAllowed: Bool,
                             rounding: FloatingPointRoundingRule) throws(ScheduleError) -> UInt64? {
        switch (fields[absolute], fields[relative]) {
        case (.some, .some):
            throw ScheduleError("give '\(absolute)' or '\(relative)', not both")
        case (let seconds?, nil):
            guard seconds > 0, seconds < 1e11 else { throw ScheduleError("'\(absolute)' must be a time in seconds since 1970; got \(seconds)") }
            return UInt64((seconds * 1000).rounded(rounding))
        case (nil, let seconds?):
            guard zeroAllowed ? seconds >= 0 : seconds > 0, seconds < 1e9 else {
                throw ScheduleError("'\(relative)' must be a number of seconds \(zeroAllowed ? "0 or more" : "greater than 0"); got \(seconds)")
            }
            return now + UInt64((seconds * 1000).rounded(rounding))
        case (nil, nil):
            return nil
        }
    }

    private static func seconds(_ milliseconds: UInt64) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000)" : String(format: "%.3f", Double(milliseconds) / 1000)
    }
}

/// A schedule frame's keys and their numbers; an unknown key, or a value that is not a number, is refused by name.
private struct ScheduleFields: FastJSONDecodable {
    private var priority, deadline, expiresIn, eta, delay: Double?
    /// `stream`, the one boolean.
    var stream: Bool?

    /// The number under `key`, one of `TaskSchedule.keys`.
    subscript(key: String) -> Double? {
        get {
            switch key {
            case "priority": priority
            case "deadline": deadline
            case "expires_in": expiresIn
            case "eta": eta
            case "delay": delay
            default: nil
            }
        }
        set {
            switch key {
            case "priority": priority = newValue
            case "deadline": deadline = newValue
            case "expires_in": expiresIn = newValue
            case "eta": eta = newValue
            case "delay": delay = newValue
            default: break
            }
        }
    }

    /// The common case, read by hand with no allocation (a frame per task is on the hot path);
    /// anything else, errors included, is JSONDecoder's.
    init?(fastJSON bytes: UnsafeBufferPointer<UInt8>) {
        var fields = ScheduleFields()
        var scanner = JSONScanner(bytes: bytes)
        let read = scanner.object { key, scanner in
            if key == "stream" {
                guard fields.stream == nil, let value = scanner.boolean() else { return false }
                fields.stream = value
                return true
            }
            guard TaskSchedule.keys.contains(key), fields[key] == nil, let value = scanner.double() else { return false }
            fields[key] = value
            return true
        }
        guard read else { return nil }
        self = fields
    }

    private init() {}

    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            guard TaskSchedule.keys.contains(key.stringValue) else {
                throw ScheduleError("unknown schedule key '\(key.stringValue)'; known keys: \(TaskSchedule.keys.joined(separator: ", "))")
            }
            if key.stringValue == "stream" {
                guard let value = try? container.decode(Bool.self, forKey: key) else { throw ScheduleError("'stream' must be true or false") }
                stream = value
                continue
            }
            guard let value = try? container.decode(Double.self, forKey: key), value.isFinite else {
                throw ScheduleError("'\(key.stringValue)' must be a number")
            }
            self[key.stringValue] = value
        }
    }
}

/// A schedule frame the broker cannot use; the task is refused `bad_request` with this sentence.
public struct ScheduleError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// How a producer asks for a task to be scheduled: what it sends as `TASK`'s schedule frame.
/// Relative times (`expiresIn`, `delay`) travel as such and the broker resolves them against
/// its own clock, so the producer's clock does not matter for them.
public struct ScheduleRequest: Sendable, Equatable {
    /// 0 to 9, higher first; `nil` for the default (`TaskSchedule.defaultPriority`).
    public var priority: Int?
    /// Not to be dispatched after this.
    public var deadline: Date?
    /// Not to be dispatched later than this after the broker receives it.
    public var expiresIn: Duration?
    /// Not to be dispatched before this.
    public var eta: Date?
    /// Not to be dispatched until this long after the broker receives it.
    public var delay: Duration?
    /// Send the task's partial outputs before its result.
    public var stream: Bool

    public init(priority: Int? = nil, deadline: Date? = nil, expiresIn: Duration? = nil, eta: Date? = nil, delay: Duration? = nil, stream: Bool = false) {
        self.priority = priority
        self.deadline = deadline
        self.expiresIn = expiresIn
        self.eta = eta
        self.delay = delay
        self.stream = stream
    }

    /// The schedule frame: a JSON object of the fields set; empty when none is.
    public var frame: [UInt8] {
        var fields: [String] = []
        if let priority { fields.append("\"priority\":\(priority)") }
        if let deadline { fields.append("\"deadline\":\(deadline.timeIntervalSince1970)") }
        if let expiresIn { fields.append("\"expires_in\":\(expiresIn.seconds)") }
        if let eta { fields.append("\"eta\":\(eta.timeIntervalSince1970)") }
        if let delay { fields.append("\"delay\":\(delay.seconds)") }
        if stream { fields.append("\"stream\":true") }
        return fields.isEmpty ? [] : Array("{\(fields.joined(separator: ","))}".utf8)
    }

    /// How long after submission the task may start at the latest: its delay, or the time to its `eta`.
    public var startsWithin: Duration {
        if let delay { return delay }
        guard let eta else { return .zero }
        return .milliseconds(Int64(max(0, eta.timeIntervalSinceNow) * 1000))
    }
}
