/// A pool's worker slots: which are idle, in the order they became idle.
///
/// Tasks take the longest-idle worker, so work spreads over every worker instead of always
/// landing on the first.
struct WorkerSlots {
    private(set) var total: Int
    private var idle: [Int]
    private var idleHead = 0
    private let poolID: String

    init(poolID: String, count: Int) {
        self.poolID = poolID
        total = count
        idle = Array(0..<count)
    }

    var idleCount: Int { idle.count - idleHead }
    var busyCount: Int { total - idleCount }

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

    mutating func release(_ worker: Int) {
        idle.append(worker)
    }

    func workerID(_ worker: Int) -> String { "\(poolID).w\(worker)" }
}
