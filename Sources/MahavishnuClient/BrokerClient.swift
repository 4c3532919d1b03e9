import Foundation
import Logging
@_exported import MahavishnuCore
import Synchronization
import ZeroMQ

/// A producer connection to the broker's frontend: submits tasks and control requests and
/// awaits their replies. Many requests may be in flight at once from any number of tasks.
///
/// One dedicated thread owns the DEALER socket; callers never touch it. Call `close()` when done.
public final class BrokerClient: Sendable {
    /// The frontend endpoint this client talks to first.
    public var endpoint: String { endpoints[0] }
    /// The frontends it tries in turn: one broker, or the brokers of a pair.
    public let endpoints: [String]
    /// How often a task whose result has not arrived is sent again (`nil`: never).
    public let retryInterval: Duration?
    private let connection: ClientConnection

    /// Connects (in the background: the broker need not be up yet).
    ///
    /// - Parameter retryInterval: a task whose result has not arrived is sent again this often,
    ///   with the same id, so a broker restart loses nothing; the broker answers a duplicate id
    ///   from its running task or its recent results, never by running the task twice at once.
    /// - Parameter curve: this client's CURVE keys and the broker's public key, for a broker that requires them.
    public convenience init(endpoint: String, retryInterval: Duration? = .seconds(2), curve: ClientCurveKeys? = nil, logger: Logger = Logger(label: "mahavishnu.client")) throws {
        try self.init(endpoints: [endpoint], retryInterval: retryInterval, curve: curve, logger: logger)
    }

    /// Connects to the first of `endpoints` (the frontends of a broker pair) and moves to the
    /// next when the broker there refuses with `not_active` or is silent for `failoverAfter`
    /// while requests wait (it is asked `info` to tell a silent broker from a busy one), sending
    /// every unanswered request again there; a task id already known there is never run twice at once.
    public init(endpoints: [String], retryInterval: Duration? = .seconds(2), failoverAfter: Duration = .seconds(3), curve: ClientCurveKeys? = nil,
                logger: Logger = Logger(label: "mahavishnu.client")) throws {
        precondition(!endpoints.isEmpty, "a client needs a broker endpoint")
        self.endpoints = endpoints
        self.retryInterval = retryInterval
        connection = try ClientConnection(endpoints: endpoints, failoverAfter: failoverAfter, curve: curve, logger: logger)
    }

    /// Connects to `broker` (default `broker_frontend`; a comma-separated list for a pair) as
    /// `settings` say: resending unanswered tasks every `client_retry_interval_seconds`, with
    /// `curve` keys or those in `client_keys_dir`.
    public convenience init(settings: Settings, broker: String? = nil, curve: ClientCurveKeys? = nil, logger: Logger) throws {
        try self.init(
            endpoints: try endpointList(broker ?? settings.brokerFrontend, flag: "broker"),
            retryInterval: .milliseconds(Int(settings.clientRetryIntervalSeconds * 1000)),
            curve: try curve ?? settings.clientKeysDir.map(CurveKeyFiles.clientKeys(in:)), logger: logger
        )
    }

    /// Submits a task body (opaque JSON bytes) and waits for its final result.
    ///
    /// - Parameters:
    ///   - taskID: unique id for the task; reuse it only to retry the same task.
    ///   - selector: how the broker picks a pool; `nil` uses the broker's default.
    ///   - affinity: the pool name or id, for `.affinity`.
    ///   - fallback: the selector to use if the affinity pool does not exist.
    ///   - schedule: its priority, deadline and start time (`docs/protocol.md`, "Scheduling a task").
    ///   - timeout: how long to wait for the result before throwing `.resultTimedOut`; `nil` waits
    ///     forever. A delayed task's wait should cover its delay.
    public func submit(
        body: [UInt8], taskID: String = UUID().uuidString, selector: PoolSelector? = nil,
        affinity: String? = nil, fallback: PoolSelector? = nil, schedule: ScheduleRequest = ScheduleRequest(), timeout: Duration? = nil
    ) async throws -> TaskResult {
        let task = SubmittedTask(
            taskID: Array(taskID.utf8), selector: selector, affinity: Array((affinity ?? "").utf8),
            fallback: fallback.map(SelectorName.bytes) ?? [], body: Payload(body), schedule: schedule.frame
        )
        let reply: ClientConnection.Reply
        do {
            reply = try await connection.request(.task(task), reference: taskID, timeout: timeout, resendEvery: retryInterval)
        } catch BrokerClientError.noBroker(let endpoint, let after) {
            throw BrokerClientError.resultTimedOut(taskID: taskID, endpoint: endpoint, after: after)
        }
        guard case .result(let attempts, let body) = reply else { throw BrokerClientError.protocolViolation("expected RESULT for task \(taskID)") }
        var result = try JSONCoding.decode(TaskResult.self, from: body)
        result.attempts = attempts
        return result
    }

    /// Submits a task that streams: its partial outputs as the worker sends them (a retry starts
    /// over with the next attempt), then its result; the sequence ends after the result.
    /// `schedule.stream` is set for it.
    public func stream(
        body: [UInt8], taskID: String = UUID().uuidString, selector: PoolSelector? = nil, affinity: String? = nil,
        schedule: ScheduleRequest = ScheduleRequest(), timeout: Duration? = nil
    ) -> AsyncThrowingStream<TaskEvent, any Error> {
        var schedule = schedule
        schedule.stream = true
        let (events, continuation) = AsyncThrowingStream.makeStream(of: TaskEvent.self)
        let task = SubmittedTask(taskID: Array(taskID.utf8), selector: selector, affinity: Array((affinity ?? "").utf8), body: Payload(body), schedule: schedule.frame)
        let running = Task { [connection, retryInterval] in
            do {
                let reply = try await connection.request(.task(task), reference: taskID, timeout: timeout, resendEvery: retryInterval) { partial in
                    continuation.yield(.partial(partial))
                }
                guard case .result(let attempts, let body) = reply else { throw BrokerClientError.protocolViolation("expected RESULT for task \(taskID)") }
                var result = try JSONCoding.decode(TaskResult.self, from: body)
                result.attempts = attempts
                continuation.yield(.result(result))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in running.cancel() }
        return events
    }

    /// Submits a `TaskRequest` and waits for its final result (see `submit(body:…)`).
    public func submit(
        _ task: TaskRequest, taskID: String = UUID().uuidString, selector: PoolSelector? = nil,
        affinity: String? = nil, fallback: PoolSelector? = nil, schedule: ScheduleRequest = ScheduleRequest(), timeout: Duration? = nil
    ) async throws -> TaskResult {
        try await submit(body: JSONCoding.encode(task), taskID: taskID, selector: selector, affinity: affinity, fallback: fallback, schedule: schedule, timeout: timeout)
    }

    /// Cancels the task `taskID` if it has not started: its producer gets a final result with
    /// status `cancelled`. The reply says what became of it (finished, running, unknown otherwise).
    public func cancel(_ taskID: String, timeout: Duration = .seconds(10)) async throws -> CancelReply {
        try await control(.cancel, arguments: JSONCoding.encode(TaskQuery(taskID: taskID)), as: CancelReply.self, timeout: timeout)
    }

    /// Sends a control request and decodes its JSON reply.
    public func control<Reply: Decodable>(
        _ command: ControlCommand, arguments: [UInt8] = Array("{}".utf8), as type: Reply.Type,
        timeout: Duration = .seconds(10)
    ) async throws -> Reply {
        let requestID = UUID().uuidString
        let reply = try await connection.request(.control(requestID: Array(requestID.utf8), command: command, arguments: arguments), reference: requestID, timeout: timeout)
        guard case .reply(let body) = reply else { throw BrokerClientError.protocolViolation("expected REPLY for \(command)") }
        return try JSONCoding.decode(type, from: body)
    }

    /// Where the broker listens (its bus above all), its version and heartbeat settings.
    public func info(timeout: Duration = .seconds(10)) async throws -> BrokerInfo {
        try await control(.info, as: BrokerInfo.self, timeout: timeout)
    }

    /// Where the task `taskID` is now: queued, running, finished with its result, or unknown.
    ///
    /// - Parameter waitUpTo: while the task is queued or running, ask again (every 50 ms at
    ///   first, then less often, up to every second) until it has finished or this much time
    ///   has passed; the last report is returned either way.
    public func task(_ taskID: String, waitUpTo wait: Duration = .zero, timeout: Duration = .seconds(10)) async throws -> TaskReport {
        let deadline = ContinuousClock.now + wait
        var pause = Duration.milliseconds(50)
        while true {
            let report = try await control(.task, arguments: JSONCoding.encode(TaskQuery(taskID: taskID)), as: TaskReport.self, timeout: timeout)
            let now = ContinuousClock.now
            guard !report.isFinal, report.state != .unknown, now < deadline else { return report }
            try await Task.sleep(for: min(pause, deadline - now))
            pause = min(pause * 2, .seconds(1))
        }
    }

    /// Fails every pending request with `.closed`, closes the socket and stops the thread.
    public func close() {
        connection.close()
    }
}

/// Why a request through `BrokerClient` did not produce a result.
public enum BrokerClientError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The broker answered with an `ERROR` reply.
    case refused(code: String, message: String)
    /// No broker answered a control request within the timeout.
    case noBroker(endpoint: String, after: Duration)
    /// The broker at `endpoint` refused this client's security handshake (no CURVE keys where it
    /// requires them, a key it does not admit); `reason` says which, and what to do.
    case handshakeFailed(endpoint: String, reason: String)
    /// A task's result did not arrive within the timeout (the task may still be running).
    case resultTimedOut(taskID: String, endpoint: String, after: Duration)
    /// The client was closed before the reply arrived.
    case closed
    /// The broker's reply did not follow the protocol.
    case protocolViolation(String)

    /// The `ErrorCode` of a `.refused` error.
    public var code: ErrorCode? {
        if case .refused(let code, _) = self { return ErrorCode(rawValue: code) }
        return nil
    }

    public var description: String {
        switch self {
        case .refused(let code, let message): "\(code): \(message)"
        case .noBroker(let endpoint, let after):
            "no broker at \(endpoint): no reply within \(after); is it running? Start one with `mahavishnu up`. If the broker requires CURVE, pass --keys DIR (or set client_keys_dir) and check that DIR/broker.public is its public key"
        case .handshakeFailed(let endpoint, let reason):
            "the broker at \(endpoint) refused the connection: \(reason)"
        case .resultTimedOut(let taskID, let endpoint, let after):
            "no result for task \(taskID) from the broker at \(endpoint) within \(after); it may still be running"
        case .closed: "the client was closed"
        case .protocolViolation(let detail): "protocol violation: \(detail)"
        }
    }
}
