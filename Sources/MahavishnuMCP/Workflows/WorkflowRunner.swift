import Foundation
import Logging
import Mahavishnu

/// Runs asynchronous dispatches: records each workflow, sends its task to the broker with the
/// workflow id as task id, and records the result, however long it takes.
///
/// A workflow left unfinished by an MCP server that stopped is taken up again by the next one
/// (`resumeUnfinished`, and any `workflow_result` for it): its task is sent again under the same
/// id, which the broker answers from the running task or its recent results, without running it twice.
actor WorkflowRunner {
    private let store: WorkflowStore
    private let client: Result<BrokerClient, ToolFailure>
    private let logger: Logger
    /// Workflows this server is waiting for.
    private var following: [String: Task<Void, Never>] = [:]

    init(store: WorkflowStore, client: Result<BrokerClient, ToolFailure>, logger: Logger) {
        self.store = store
        self.client = client
        self.logger = logger
    }

    /// Records a workflow (or finds the one with that id) and starts following it.
    func dispatch(id: String, task: TaskRequest, selector: PoolSelector, affinity: String?, schedule: ScheduleRequest) async throws -> WorkflowRecord {
        let record = try await store.insertIfNew(WorkflowRecord(id: id, task: task, selector: selector, affinity: affinity, schedule: schedule))
        follow(record)
        return record
    }

    /// The workflow's record; an unfinished one nobody follows is taken up.
    func record(_ id: String) async throws -> WorkflowRecord {
        guard let record = try await store.fetch(id) else {
            throw ToolFailure(.noSuchWorkflow, "no such workflow '\(id)'; dispatch_to_pool with async_callback true returns a workflow_id", argument: "workflow_id")
        }
        follow(record)
        return record
    }

    /// Takes up every unfinished workflow (at start).
    func resumeUnfinished() async {
        do {
            for record in try await store.unfinished() { follow(record) }
        } catch {
            logger.error("cannot read unfinished workflows", metadata: ["error": "\(error)"])
        }
    }

    /// Stops following (at exit); the workflows stay unfinished for the next server.
    func stop() {
        for task in following.values { task.cancel() }
        following.removeAll()
    }

    private func follow(_ record: WorkflowRecord) {
        guard !record.status.isFinal, following[record.id] == nil else { return }
        following[record.id] = Task { await self.run(record) }
    }

    private func run(_ record: WorkflowRecord) async {
        var record = record
        defer { following[record.id] = nil }
        do {
            let client = try client.get()
            record.status = .running
            try await store.save(record)
            let remaining = max(record.deadline.timeIntervalSinceNow, 5)
            let result = try await client.submit(
                body: Array(record.taskJSON.utf8), taskID: record.id, selector: PoolSelector(rawValue: record.selector),
                affinity: record.affinity, schedule: record.schedule, timeout: .milliseconds(Int(remaining * 1000))
            )
            record.status = result.status == .completed ? .completed : .failed
            record.resultJSON = String(decoding: try JSONCoding.encode(result), as: UTF8.self)
        } catch is CancellationError {
            return
        } catch BrokerClientError.closed {
            return
        } catch {
            record.status = .failed
            record.error = ToolFailure(error).message
        }
        do {
            try await store.save(record)
        } catch {
            logger.error("cannot record a workflow's result", metadata: ["workflow.id": "\(record.id)", "error": "\(error)"])
        }
    }
}
