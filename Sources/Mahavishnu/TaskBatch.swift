import Foundation

/// Runs many tasks with at most `window` in flight and returns exactly one result per task, in
/// the order given: a task that could not be run (refused by the broker, say) is a `failed`
/// result whose `error` says why, so one refusal never hides the results of the others.
enum TaskBatch {
    /// Submits task `index` through `submit` for every index in `0..<count`.
    ///
    /// - Parameters:
    ///   - failedPoolID: the pool id a refused task's result names.
    ///   - progress: called with the number of tasks finished so far, after each one.
    static func run(
        count: Int, window: Int, failedPoolID: @escaping @Sendable (Int) -> String,
        progress: @Sendable (Int) -> Void = { _ in },
        submit: @escaping @Sendable (_ index: Int, _ taskID: String) async throws -> TaskResult
    ) async -> [TaskResult] {
        precondition(window > 0, "window must be at least 1")
        var results = [TaskResult?](repeating: nil, count: count)
        await withTaskGroup(of: (Int, TaskResult).self) { group in
            var next = 0
            func launch() {
                let index = next
                next += 1
                group.addTask {
                    let taskID = UUID().uuidString
                    do {
                        // Awaited into a local, never inside the tuple: `(index, try await …)`
                        // returned index 0 for every task in release builds (Swift 6.3).
                        let result = try await submit(index, taskID)
                        return (index, result)
                    } catch {
                        let poolID = failedPoolID(index)
                        return (index, TaskResult(taskID: taskID, poolID: poolID, workerID: "", status: .failed, output: "", error: "\(error)", duration: 0))
                    }
                }
            }
            while next < min(window, count) { launch() }
            var finished = 0
            for await (index, result) in group {
                results[index] = result
                finished += 1
                progress(finished)
                if next < count { launch() }
            }
        }
        return results.enumerated().map { index, result in
            // Every launched task returned exactly once, so each slot is filled.
            guard let result else { preconditionFailure("task \(index) of the batch returned no result") }
            return result
        }
    }
}
