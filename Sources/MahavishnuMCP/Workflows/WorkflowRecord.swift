import Foundation
import GRDB
import Mahavishnu

/// One `dispatch_to_pool` call with `async_callback`: the task, where it was routed, and how it
/// ended. Stored in SQLite, so it outlives the MCP server that dispatched it.
struct WorkflowRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    /// Where a workflow is.
    enum Status: String, Codable, Sendable {
        /// Recorded; not sent to the broker yet.
        case queued
        /// Sent to the broker; no result yet.
        case running
        /// The task completed; `result` holds its result.
        case completed
        /// The task failed or timed out (`result` holds its result), or it could not be run (`error` says why).
        case failed

        var isFinal: Bool { self == .completed || self == .failed }
    }

    static let databaseTableName = "workflow"

    /// The workflow's id, also the task id at the broker, so a resend is answered from the
    /// broker's running task or its recent results instead of running the task again.
    var id: String
    var status: Status
    /// The task object sent to the broker, JSON.
    var taskJSON: String
    var selector: String
    var affinity: String?
    /// The task's own timeout in seconds.
    var timeoutSeconds: Int
    /// Its schedule, in absolute times, so a resend after a restart keeps them: its priority
    /// (`nil`: the default), not before `eta`, not after `expiresAt` (seconds since 1970).
    var priority: Int?
    var eta: Double?
    var expiresAt: Double?
    /// The task's result, JSON, once it has one.
    var resultJSON: String?
    /// Why it failed without a result.
    var error: String?
    /// Seconds since 1970.
    var createdAt: Double
    var updatedAt: Double

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, status, taskJSON = "task_json", selector, affinity, timeoutSeconds = "timeout_seconds", priority, eta, expiresAt = "expires_at"
        case resultJSON = "result_json", error, createdAt = "created_at", updatedAt = "updated_at"
    }

    /// A new, queued workflow; `schedule`'s delays count from now.
    init(id: String, task: TaskRequest, selector: PoolSelector, affinity: String?, schedule: ScheduleRequest) throws {
        self.id = id
        status = .queued
        taskJSON = String(decoding: try JSONCoding.encode(task), as: UTF8.self)
        self.selector = selector.rawValue
        self.affinity = affinity
        timeoutSeconds = Int(task.timeout ?? 300)
        let now = Date().timeIntervalSince1970
        priority = schedule.priority
        eta = schedule.eta?.timeIntervalSince1970 ?? schedule.delay.map { now + $0.seconds }
        expiresAt = schedule.deadline?.timeIntervalSince1970 ?? schedule.expiresIn.map { now + $0.seconds }
        createdAt = now
        updatedAt = now
    }

    /// The schedule the task is sent with.
    var schedule: ScheduleRequest {
        ScheduleRequest(priority: priority, deadline: expiresAt.map(Date.init(timeIntervalSince1970:)), eta: eta.map(Date.init(timeIntervalSince1970:)))
    }

    /// The latest moment worth waiting for its result: its timeout after it may start (its
    /// creation, or its eta), plus grace.
    var deadline: Date { Date(timeIntervalSince1970: max(createdAt, eta ?? 0) + Double(timeoutSeconds + ToolContext.resultGrace)) }
}

/// What `workflow_result` and `dispatch_to_pool` return about a workflow.
struct WorkflowReport: Encodable, Sendable {
    let workflowID: String
    let status: WorkflowRecord.Status
    let result: TaskResult?
    let error: String?

    init(_ record: WorkflowRecord) {
        workflowID = record.id
        status = record.status
        result = record.resultJSON.flatMap { try? JSONCoding.decode(TaskResult.self, from: Array($0.utf8)) }
        error = record.error
    }

    enum CodingKeys: String, CodingKey { case workflowID = "workflow_id", status, result, error }
}
