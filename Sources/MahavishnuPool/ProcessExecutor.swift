import MahavishnuCore
import Synchronization

/// The `process` worker: one long-lived child per worker slot, speaking JSON lines (one task per
/// line on its standard input, one result per line on its standard output; `docs/executors.md`).
///
/// A slot's child starts with the slot's first task. A child that exits fails the task it was
/// running and is started again for the slot's next task.
final class ProcessExecutor: Executor {
    let definition: WorkerTypeDefinition
    private let lifetime = ExecutorLifetime()
    private let workers = Mutex<[Int: ProcessWorker]>([:])

    init(definition: WorkerTypeDefinition) {
        self.definition = definition
    }

    func run(_ assignment: TaskAssignment, completion: @escaping @Sendable (ExecutionOutcome) -> Void) {
        let worker = workers.withLock { workers -> ProcessWorker? in
            if let existing = workers[assignment.worker] { return existing }
            let worker = ProcessWorker(definition: definition, slot: assignment.worker, lifetime: lifetime)
            guard lifetime.startThread(name: "mahavishnu.process.w\(assignment.worker)", { worker.loop() }) else { return nil }
            workers[assignment.worker] = worker
            return worker
        }
        guard let worker else { return completion(.failed("the pool is stopping; the task was not run")) }
        worker.submit(assignment, completion: completion)
    }

    func shutdown() {
        lifetime.shutdown(waitingUpTo: .seconds(definition.killGraceSeconds) + .seconds(2))
    }
}
