import MahavishnuCore
import Synchronization
import ZeroMQ

/// The `process` worker: one long-lived child per worker slot, speaking JSON lines (one task per
/// line on its standard input, one result per line on its standard output; `docs/executors.md`).
///
/// Each slot is a `ProcessWorker` on a `SocketLoop` of its own, started with the slot's first
/// task. A child that exits fails the task it was running and is started again for the slot's next task.
final class ProcessExecutor: Executor {
    let definition: WorkerTypeDefinition
    private let slots = Mutex(Slots())

    private struct Slots {
        var loops: [Int: SocketLoop<ProcessWorker.Command>] = [:]
        var stopped = false
    }

    init(definition: WorkerTypeDefinition) {
        self.definition = definition
    }

    func run(_ assignment: TaskAssignment, completion: @escaping @Sendable (ExecutionOutcome) -> Void) {
        let job: ProcessWorker.Job
        do throws(ExecutionFailure) {
            job = try ProcessWorker.job(assignment, completion: completion)
        } catch {
            return completion(error.outcome)
        }
        let definition = self.definition
        let loop = slots.withLock { slots -> SocketLoop<ProcessWorker.Command>? in
            guard !slots.stopped else { return nil }
            if let existing = slots.loops[assignment.worker] { return existing }
            let mailbox = Mailbox<ProcessWorker.Command>()
            let loop = SocketLoop(name: "mahavishnu.process.w\(assignment.worker)", mailbox: mailbox,
                                  handler: ProcessWorker(definition: definition, slot: assignment.worker, mailbox: mailbox))
            loop.start()
            slots.loops[assignment.worker] = loop
            return loop
        }
        guard let loop, loop.post(.run(job)) == .accepted else { return completion(.failed("the pool is stopping; the task was not run")) }
    }

    /// Asks every slot to end `taskID`; the one running it does.
    func cancel(_ taskID: String) {
        for loop in slots.withLock({ Array($0.loops.values) }) { loop.post(.cancel(taskID: taskID)) }
    }

    /// Stops every slot's loop, each ending its child, and waits until they have ended.
    func shutdown() {
        let loops = slots.withLock { slots in
            slots.stopped = true
            return Array(slots.loops.values)
        }
        for loop in loops { loop.stop() }
        for loop in loops { try? loop.join() }
    }
}
