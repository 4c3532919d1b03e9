/// What a journal's records leave behind: the tasks still owed a result, in the order they were
/// accepted, and the final results, oldest first.
struct JournalReplay {
    struct OwedTask {
        let task: JournalRecord.AcceptedTask
        /// Times it was dispatched before the broker stopped.
        var attempts: Int
    }

    private(set) var owed: [OwedTask] = []
    private(set) var results: [(taskID: [UInt8], attempts: Int, body: [UInt8])] = []

    init(_ records: [JournalRecord]) {
        var owedIndex: [[UInt8]: Int] = [:]
        var slots: [OwedTask?] = []
        var finished: [[UInt8]: (order: Int, attempts: Int, body: [UInt8])] = [:]
        for (order, record) in records.enumerated() {
            switch record {
            case .accepted(let task):
                finished[task.taskID] = nil
                if let index = owedIndex[task.taskID] { slots[index] = nil }
                owedIndex[task.taskID] = slots.count
                slots.append(OwedTask(task: task, attempts: 0))
            case .dispatched(let id):
                if let index = owedIndex[id] { slots[index]?.attempts += 1 }
            case .finished(let id, let attempts, let body):
                if let index = owedIndex.removeValue(forKey: id) { slots[index] = nil }
                finished[id] = (order, attempts, body)
            case .dropped(let id):
                if let index = owedIndex.removeValue(forKey: id) { slots[index] = nil }
            }
        }
        owed = slots.compactMap { $0 }
        results = finished.sorted { $0.value.order < $1.value.order }.map { ($0.key, $0.value.attempts, $0.value.body) }
    }
}
