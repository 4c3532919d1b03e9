/// What a journal's records leave behind: the tasks still owed a result, in the order they were
/// accepted, and the final results, oldest first (those a producer is still owed among them).
struct JournalReplay {
    struct OwedTask {
        let task: JournalRecord.AcceptedTask
        /// Times it was dispatched before the broker stopped.
        var attempts: Int
        /// It was cancelled while it ran: it ends `cancelled` rather than run again.
        var cancelled = false
    }

    private(set) var owed: [OwedTask] = []
    /// Final results, oldest first; `owedTo` is empty for those delivered (or owed to nobody).
    private(set) var results: [JournalRecord.FinishedTask] = []

    init(_ records: [JournalRecord]) {
        var owedIndex: [[UInt8]: Int] = [:]
        var slots: [OwedTask?] = []
        var finishedIndex: [[UInt8]: Int] = [:]
        var finished: [JournalRecord.FinishedTask?] = []
        for record in records {
            switch record {
            case .accepted(let task):
                if let index = finishedIndex.removeValue(forKey: task.taskID) { finished[index] = nil }
                if let index = owedIndex[task.taskID] { slots[index] = nil }
                owedIndex[task.taskID] = slots.count
                slots.append(OwedTask(task: task, attempts: 0))
            case .dispatched(let id):
                if let index = owedIndex[id] { slots[index]?.attempts += 1 }
            case .finished(let result):
                if let index = owedIndex.removeValue(forKey: result.taskID) { slots[index] = nil }
                if let index = finishedIndex[result.taskID] { finished[index] = nil }
                finishedIndex[result.taskID] = finished.count
                finished.append(result)
            case .delivered(let id):
                if let index = finishedIndex[id], let result = finished[index] {
                    finished[index] = .init(taskID: id, attempts: result.attempts, body: result.body, finishedAt: result.finishedAt,
                                            owedTo: [], delimited: false)
                }
            case .dropped(let id):
                if let index = owedIndex.removeValue(forKey: id) { slots[index] = nil }
            case .cancelled(let id):
                if let index = owedIndex[id] { slots[index]?.cancelled = true }
            }
        }
        owed = slots.compactMap { $0 }
        results = finished.compactMap { $0 }
    }
}
