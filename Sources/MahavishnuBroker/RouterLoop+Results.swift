import Foundation
import MahavishnuCore
import ZeroMQ

/// Final results: how a finished task is recorded, kept for retries and `task` queries, and
/// delivered, including to a producer with its own routing id that was away when it finished
/// (after a broker restart, say), which gets it when it is back.
extension RouterLoop {
    /// Ends `task` with `body` as its final result and sends it to its producer.
    func finishTask(_ task: ResultOwner, body: Payload) {
        let finishedAt = Self.epochMilliseconds()
        let owed = task.replyTo.isChosenByProducer
        journal?.record { buffer in
            body.withBytes { bytes in
                JournalRecord.appendFinished(taskID: task.taskID, attempts: task.attempts, body: bytes, finishedAt: finishedAt,
                                             owedTo: owed ? task.replyTo.routingID : [], delimited: task.replyTo.delimited, to: &buffer)
            }
        }
        resultCache.insert(task.taskID, attempts: task.attempts, body: body, finishedAt: finishedAt)
        sendResult(task.taskID, attempts: task.attempts, body: body, to: task.replyTo, streamed: task.streams)
    }

    /// Sends a final result the producer is owed; its fate is reported to `resultSent` (now,
    /// or once the outbox it waits in is flushed).
    ///
    /// A `streamed` task's result goes after the partials its producer has not taken yet, and
    /// waits for room when the partials before it filled the producer's pipe (`offerResult`).
    func sendResult(_ taskID: [UInt8], attempts: Int, body: Payload, to address: ReplyAddress, streamed: Bool = false) {
        let result = BrokerToProducer.result(taskID: taskID, attempts: attempts, body: body).encoded
        if !heldDeliveries.isEmpty && heldDeliveries.isHolding(taskID) {
            return heldDeliveries.hold(.init(wire: result, attempt: nil, bytes: body.count), for: taskID, to: address)
        }
        if holdInOutbox(.init(peer: .producer(address), wire: result, result: streamed ? .streamed : .owed)) { return }
        offerResult(taskID, result, to: address, waitsForRoom: streamed)
    }

    /// Sends a final result now if its producer has room. One that `waitsForRoom` (a streaming
    /// task's) and finds none is held and tried again, unless the bytes held for all producers
    /// are spent; any other is undeliverable then, and a resend gets it from the result cache.
    func offerResult(_ taskID: [UInt8], _ result: WireMessage, to address: ReplyAddress, waitsForRoom: Bool) {
        let delivery = offerToProducer(address, result)
        let bytes = result.body?.count ?? 0
        if delivery == .full && waitsForRoom && !heldDeliveries.isFull(adding: bytes) {
            return heldDeliveries.hold(.init(wire: result, attempt: nil, bytes: bytes), for: taskID, to: address)
        }
        resultSent(taskID, to: address, delivered: delivery == .sent)
    }

    /// Counts an owed result sent, notes it delivered in the journal, or holds it for a producer
    /// that is away and can come back under its own routing id.
    func resultSent(_ taskID: [UInt8], to address: ReplyAddress, delivered: Bool) {
        if delivered {
            stats.resultsDelivered += 1
            if address.isChosenByProducer { journal?.record(.delivered(taskID: taskID)) }
        } else if address.isChosenByProducer {
            if owedResults.hold(taskID, for: address) != nil { stats.resultsUndeliverable += 1 }
        } else {
            stats.resultsUndeliverable += 1
        }
    }

    /// Sends the results owed to the producer with `routingID` (it sent something, so it is back).
    func deliverOwedResults(to routingID: [UInt8]) {
        guard let (address, taskIDs) = owedResults.take(routingID) else { return }
        for (index, taskID) in taskIDs.enumerated() {
            guard let cached = resultCache[taskID] else {
                stats.resultsUndeliverable += 1
                continue
            }
            let result = BrokerToProducer.result(taskID: taskID, attempts: cached.attempts, body: cached.body).encoded
            if holdInOutbox(.init(peer: .producer(address), wire: result, result: .owed)) { continue }
            guard deliverToProducer(address, result) else {
                // Still away: the rest wait for its next try.
                for rest in taskIDs[index...] { resultSent(rest, to: address, delivered: false) }
                return
            }
            resultSent(taskID, to: address, delivered: true)
        }
    }

    /// Tries every producer owed results, and forgets results past `journal_retention_seconds`;
    /// once per heartbeat.
    func maintainResults() {
        for routingID in owedResults.routingIDs { deliverOwedResults(to: routingID) }
        guard let retention = configuration.journal?.retention else { return }
        resultCache.removeFinished(before: Self.epochMilliseconds() &- UInt64(retention.roundedUpMilliseconds))
    }

    static func epochMilliseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}
