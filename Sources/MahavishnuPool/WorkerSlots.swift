/// A pool's worker slots: which are idle, in the order they became idle, and how many there
/// should be.
///
/// Tasks take the longest-idle worker, so work spreads over every worker instead of always
/// landing on the first. Shrinking removes idle workers at once and busy ones only when their
/// task finishes: scaling down never kills a running task.
struct WorkerSlots {
    /// How many workers the pool should have.
    private(set) var target: Int
    /// Workers that exist now, idle or busy (more than `target` while busy ones retire).
    private(set) var existing: Int
    private var idle: [Int]
    private var idleHead = 0
    private var nextWorker: Int
    private let poolID: String

    init(poolID: String, count: Int) {
        self.poolID = poolID
        target = count
        existing = count
        nextWorker = count
        idle = Array(0..<count)
    }

    var idleCount: Int { idle.count - idleHead }
    var busyCount: Int { existing - idleCount }

    /// Takes the longest-idle worker, or `nil` if all are busy.
    mutating func acquire() -> Int? {
        guard idleHead < idle.count else { return nil }
        let worker = idle[idleHead]
        idleHead += 1
        if idleHead > 64 && idleHead * 2 > idle.count {
            idle.removeFirst(idleHead)
            idleHead = 0
        }
        return worker
    }

    /// Returns a worker whose task finished; a worker beyond the target retires instead.
    mutating func release(_ worker: Int) {
        if existing > target {
            existing -= 1
        } else {
            idle.append(worker)
        }
    }

    /// Sets the number of workers: new ones start idle; idle ones are removed first, busy ones retire later.
    mutating func resize(to count: Int) {
        if count > existing {
            idle.append(contentsOf: nextWorker..<(nextWorker + count - existing))
            nextWorker += count - existing
            existing = count
        } else {
            let removable = min(existing - count, idleCount)
            idle.removeLast(removable)
            existing -= removable
        }
        target = count
    }

    func workerID(_ worker: Int) -> String { "\(poolID).w\(worker)" }
}
