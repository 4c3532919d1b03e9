import MahavishnuCore
import ZeroMQ

/// The journal's side of routing: what the loop records, how a broker started on a journal
/// takes up the tasks and results it holds, and compaction.
extension RouterLoop {
    /// Records `task` as accepted: its fields as the producer sent them (an empty selector for
    /// the broker's default), its body without a copy, and its schedule with absolute times.
    func journalAccepted(_ task: SubmittedTask, schedule: TaskSchedule, from address: ReplyAddress) {
        journal?.record { buffer in
            JournalRecord.appendAccepted(taskID: task.taskID, replyTo: address.routingID, delimited: address.delimited, to: &buffer) { buffer in
                JournalRecord.appendField(task.selector.map(SelectorName.bytes) ?? [], to: &buffer)
                JournalRecord.appendField(task.affinity, to: &buffer)
                JournalRecord.appendField(task.fallback, to: &buffer)
                task.body.withBytes { JournalRecord.appendField($0, to: &buffer) }
                if !schedule.isDefault { JournalRecord.appendField(schedule.frame, to: &buffer) }
            }
        }
    }

    /// Tells the producer that an accepted task will not run after all (and the journal that it is over).
    func refuseAccepted(_ task: PendingTask, _ code: ErrorCode, _ message: String) {
        journal?.record(.dropped(taskID: task.taskID))
        replyError(task.replyTo, reference: task.taskID, code, message)
    }

    /// Queues the tasks the journal owes results for, in the order they were accepted, and keeps
    /// its results for retries. Affinity tasks wait for their pools as at any fresh start.
    func recoverFromJournal() throws {
        guard let journal else { return }
        let records = journal.file.takeRecovered()
        guard !records.isEmpty || journal.file.tornBytes > 0 else { return }
        let replay = JournalReplay(records)
        var running = 0
        for owed in replay.owed {
            arrivalClock += 1
            let accepted = owed.task
            let selector = SelectorName.selector(named: accepted.selector) ?? defaultSelector
            let fallback = SelectorName.selector(named: accepted.fallback)
            let awaitsPool = selector == .affinity && fallback == nil
            let schedule = (try? TaskSchedule(frame: accepted.schedule, receivedAt: Self.epochMilliseconds())) ?? TaskSchedule()
            let task = PendingTask(replyTo: ReplyAddress(routingID: accepted.replyTo, delimited: accepted.delimited), taskID: accepted.taskID,
                                   route: awaitsPool ? .pinned(accepted.affinity) : .selector(selector == .affinity ? fallback! : selector),
                                   body: Payload(accepted.body), sequence: arrivalClock, attempts: owed.attempts,
                                   schedule: schedule, rank: rank(priority: schedule.priority))
            if owed.attempts > 0 { running += 1 }
            if owed.cancelled {
                finishCancelled(task.owner, "while it ran on a pool, before the broker restarted; it does not run again")
                continue
            }
            if schedule.deadline.map({ $0 <= Self.epochMilliseconds() }) ?? false {
                expire(task.owner)
                continue
            }
            if let eta = schedule.eta, eta > Self.epochMilliseconds() {
                queues.delay(task, until: eta)
                continue
            }
            if awaitsPool {
                awaitedPools.hold(task, for: String(decoding: accepted.affinity, as: UTF8.self))
            } else {
                queues.shared.append(task)
            }
            queues.noteEnqueued(task)
        }
        var owedResultCount = 0
        for result in replay.results {
            resultCache.insert(result.taskID, attempts: result.attempts, body: Payload(result.body), finishedAt: result.finishedAt)
            guard !result.owedTo.isEmpty else { continue }
            owedResultCount += 1
            _ = owedResults.hold(result.taskID, for: ReplyAddress(routingID: result.owedTo, delimited: result.delimited))
        }
        logger.info("journal recovered", metadata: [
            "journal.path": "\(journal.file.path)", "journal.tasks_owed": "\(replay.owed.count)", "journal.tasks_were_running": "\(running)",
            "journal.results": "\(replay.results.count)", "journal.results_owed": "\(owedResultCount)", "journal.torn_bytes": "\(journal.file.tornBytes)",
        ])
        try compactJournal()
    }

    /// Retries a failed write and compacts the journal once it has grown enough; once per heartbeat.
    /// (Results past their retention leave the cache first, so compaction drops them.)
    func maintainJournal() {
        guard let journal else { return }
        journal.retryFailedWrite()
        guard journal.needsCompaction else { return }
        do {
            try compactJournal()
        } catch {
            logger.error("journal compaction failed", metadata: ["journal.path": "\(journal.file.path)", "error.message": "\(error)"])
        }
    }

    /// Rewrites the journal with only what is live: owed tasks (with their dispatch counts) and the cached results.
    func compactJournal() throws {
        guard let journal else { return }
        try journal.compact { (append) throws(JournalError) in try encodeLiveState(append) }
    }

    /// Encodes the live state as journal records, in batches of about a megabyte (the live state
    /// is never copied whole) given to `append`: owed tasks in the order they were accepted, each
    /// with its dispatches, then the cached results. Compaction writes it; an active broker
    /// sends it to its passive peer as a snapshot.
    func encodeLiveState(_ append: ([UInt8]) throws(JournalError) -> Void) throws(JournalError) {
        var owed: [PendingTask] = Array(queues.shared) + leases.map { $0.value.task }
        let cancelled = Set(leases.filter { $0.value.cancelled }.map { $0.key })
        for slot in registry.slotIndices { owed.append(contentsOf: registry[slot].affinityQueue) }
        var awaited: [[UInt8]: [UInt8]] = [:]
        for (reference, task) in awaitedPools.tasks.flatMap({ reference, tasks in tasks.map { (reference, $0) } }) {
            owed.append(task)
            awaited[task.taskID] = Array(reference.utf8)
        }
        var records: [UInt8] = []
        func emit(_ record: JournalRecord) throws(JournalError) {
            record.encode(into: &records)
            guard records.count >= 1 << 20 else { return }
            try append(records)
            records.removeAll(keepingCapacity: true)
        }
        owed.append(contentsOf: queues.delayed.unordered.map(\.task))
        for task in owed.sorted(by: { $0.sequence < $1.sequence }) {
            let (selector, affinity): ([UInt8], [UInt8]) = switch task.route {
            case .selector(let selector): (Array(selector.rawValue.utf8), [])
            case .pinned(let routingID): (Array(PoolSelector.affinity.rawValue.utf8), awaited[task.taskID] ?? routingID)
            }
            try emit(.accepted(.init(taskID: task.taskID, replyTo: task.replyTo.routingID, delimited: task.replyTo.delimited,
                                     selector: selector, affinity: affinity, fallback: [], body: task.body.bytes, schedule: task.schedule.frame)))
            for _ in 0..<task.attempts { try emit(.dispatched(taskID: task.taskID)) }
            if cancelled.contains(task.taskID) { try emit(.cancelled(taskID: task.taskID)) }
        }
        for (taskID, entry) in resultCache.oldestFirst {
            let owner = owedResults.owner(of: taskID)
            try emit(.finished(.init(taskID: taskID, attempts: entry.attempts, body: entry.body.bytes, finishedAt: entry.finishedAt,
                                     owedTo: owner?.routingID ?? [], delimited: owner?.delimited ?? false)))
        }
        if !records.isEmpty { try append(records) }
    }
}
