import Foundation
import Mahavishnu
import Testing

@Suite("The message bus between real processes", .serialized)
struct MessageBusTests {
    @Test("pool processes publish task_completed to a client; a client and a pool each delegate to pool b and get result_share back")
    func pubSubBetweenPoolsAndClient() async throws {
        try await Deployment.with(pools: [("a", 2), ("b", 2)]) { deployment in
            let client = try await BusRecorder(deployment, identity: "client_pubsub", types: [.taskCompleted, .resultShare], scope: .own)
            defer { client.close() }
            let observer = try await BusRecorder(deployment, types: [.taskDelegate, .resultShare], scope: .all)
            defer { observer.close() }

            _ = try await deployment.submit(count: 10, window: 10, selector: .affinity, affinity: "a") { "from a \($0)" }
            _ = try await deployment.submit(count: 10, window: 10, selector: .affinity, affinity: "b") { "from b \($0)" }
            let arrived = try await client.waitFor("20 task_completed events") { $0.filter { $0.type == .taskCompleted }.count >= 20 }
            let completed = arrived.filter { $0.type == .taskCompleted }
            #expect(completed.count == 20)
            #expect(Set(completed.map(\.sourcePoolID)) == ["pool_a", "pool_b"])
            for message in completed {
                let event = try message.payload(as: TaskCompletedEvent.self)
                #expect(event.poolID == message.sourcePoolID)
                #expect(event.prompt.hasPrefix("from \(event.poolName) "))
                #expect(event.output == event.prompt)
                #expect(event.status == .completed)
                #expect(event.workerID.hasPrefix(event.poolID + ".w"))
                #expect(event.completedAt >= event.startedAt)
            }

            let request = TaskDelegateRequest(delegationID: "client-delegation", replyTo: client.bus.identity, task: TaskRequest(prompt: "run for the client"))
            try client.bus.publish(.taskDelegate, payload: request, target: "pool_b")
            let shares = try await client.waitFor("pool b's result_share") { $0.contains { $0.type == .resultShare } }
            let share = try #require(shares.first { $0.type == .resultShare })
            #expect(share.sourcePoolID == "pool_b")
            #expect(share.targetPoolID == client.bus.identity)
            let shared = try share.payload(as: ResultShare.self)
            #expect(shared.delegationID == "client-delegation")
            #expect(shared.result?.poolID == "pool_b")
            #expect(shared.result?.output == "run for the client")

            let result = try await deployment.client.submit(TaskRequest(prompt: "a asks b", delegateTo: "b"), selector: .affinity, affinity: "a", timeout: .seconds(30))
            #expect(result.poolID == "pool_a")
            #expect(result.status == .completed)
            #expect(result.output == "a asks b")
            let traffic = try await observer.waitFor("pool b's result_share to pool a") { messages in
                messages.contains { $0.type == .resultShare && $0.sourcePoolID == "pool_b" && $0.targetPoolID == "pool_a" }
            }
            #expect(traffic.contains { $0.type == .taskDelegate && $0.sourcePoolID == "pool_a" && $0.targetPoolID == "pool_b" })
        }
    }

    @Test("topic filtering happens in ZeroMQ: a subscriber to result_share never receives the task_completed flood")
    func topicFiltering() async throws {
        try await Deployment.with(pools: [("a", 4)]) { deployment in
            let filtered = try await BusRecorder(deployment, types: [.resultShare])
            defer { filtered.close() }
            let witness = try await BusRecorder(deployment, types: [.taskCompleted, .resultShare])
            defer { witness.close() }

            _ = try await deployment.submit(count: 200, window: 32, selector: nil)
            try witness.bus.publish(.resultShare, payload: ResultShare(delegationID: "marker", error: "a broadcast marker"))
            try await witness.waitFor("200 task_completed and the marker") { messages in
                messages.filter { $0.type == .taskCompleted }.count == 200 && messages.contains { $0.type == .resultShare }
            }
            try await filtered.waitFor("the marker") { $0.contains { $0.type == .resultShare } }
            try await filtered.waitUntilEveryArrivalWasWanted()
            #expect(filtered.bus.statistics.received == 1, "only the marker reached the filtered socket")
            #expect(filtered.messages.map(\.type) == [.resultShare])
            #expect(witness.bus.statistics.received >= 201)
        }
    }

    @Test("a message targeted at one pool's id reaches only that pool; broadcasts reach both")
    func targetedDelivery() async throws {
        try await Deployment.with(pools: []) { deployment in
            let x = try await BusRecorder(deployment, identity: "pool_x", types: [.statusUpdate], scope: .own)
            defer { x.close() }
            let y = try await BusRecorder(deployment, identity: "pool_y", types: [.statusUpdate], scope: .own)
            defer { y.close() }
            let publisher = try await BusRecorder(deployment, identity: "client_targeting", types: [], scope: .direct)
            defer { publisher.close() }

            try publisher.bus.publish(.statusUpdate, payload: StatusUpdate(status: .note, reason: "for x only"), target: "pool_x")
            try publisher.bus.publish(.statusUpdate, payload: StatusUpdate(status: .note, reason: "for everyone"))
            let reasons: @Sendable ([BusMessage]) -> [String] = { $0.compactMap { try? $0.payload(as: StatusUpdate.self).reason } }
            try await x.waitFor("both notes at x") { Set(reasons($0)).isSuperset(of: ["for x only", "for everyone"]) }
            try await y.waitFor("the broadcast at y") { reasons($0).contains("for everyone") }
            try await y.waitUntilEveryArrivalWasWanted()
            #expect(!reasons(y.messages).contains("for x only"))
            #expect(x.messages.first { reasons([$0]) == ["for x only"] }?.targetPoolID == "pool_x")
        }
    }

    @Test("the broker publishes a status_update for a failed spawn, and pool_created and pool_closed as a pool registers and leaves")
    func brokerLifecycleEvents() async throws {
        try await Deployment.with(pools: []) { deployment in
            let recorder = try await BusRecorder(deployment, types: [.poolCreated, .statusUpdate, .poolClosed])
            defer { recorder.close() }
            let broken = PoolConfig(name: "broken", poolType: "teleporter", minWorkers: 1, maxWorkers: 1, workerType: "echo")
            await #expect(throws: BrokerClientError.self) { try await deployment.client.control(.spawn, arguments: JSONCoding.encode(broken), as: PoolIdentity.self) }
            try await RawPeer.session(deployment.backend, routingID: "pool_raw") { peer in
                let registration = PoolRegistration(poolID: "pool_raw", name: "raw", type: "mahavishnu", workerType: "echo",
                                                    minWorkers: 1, maxWorkers: 4, workers: 1, pid: 1, host: "test")
                try peer.send([Wire.version, Wire.Command.ready, try JSONCoding.encode(registration)])
                #expect(try peer.receiveStrings().prefix(2) == ["MHV1", "WELCOME"])
                try peer.send([Wire.version, Wire.Command.bye])
                #expect(try peer.receiveSkippingHeartbeats() == ["MHV1", "BYE"], "released by the broker")
            }
            let events = try await recorder.waitFor("status_update, pool_created and pool_closed") { $0.contains { $0.type == .poolClosed } }
            #expect(events.map(\.type) == [.statusUpdate, .poolCreated, .poolClosed], "in the order they happened")
            #expect(events.allSatisfy { $0.sourcePoolID == "broker" && $0.targetPoolID == nil })
            let update = try events[0].payload(as: StatusUpdate.self)
            #expect(update.status == .spawnFailed)
            #expect(update.name == "broken")
            #expect(update.reason?.contains("unknown pool type 'teleporter'") == true)
            #expect(try events[1].payload(as: PoolSummary.self).name == "raw")
            let closed = try events[2].payload(as: PoolClosedEvent.self)
            #expect(closed.poolID == "pool_raw")
            #expect(closed.reason == "it drained and left")
        }
    }

    @Test("a publish dropped for a full outbox still takes its sequence number: the subscriber counts it missed, by source")
    func outboxDropsAreGaps() async throws {
        try await Deployment.with(pools: [], environment: ["MAHAVISHNU_MEMORY_AGGREGATION_ENABLED": "false"]) { deployment in
            let recorder = try await BusRecorder(deployment, types: [.resultShare])
            defer { recorder.close() }
            var configuration = MessageBusConfiguration()
            configuration.publishEndpoint = deployment.busPub
            configuration.subscribeEndpoint = deployment.busSub
            configuration.identity = "pool_outbox"
            configuration.outboxLimit = 8
            let publisher = try MessageBus(configuration: configuration)
            defer { publisher.close() }
            try await publisher.roundTrip()
            for index in 0..<2_000 { try publisher.publish(.resultShare, payload: ["n": index]) }
            try await publisher.roundTrip()
            // A drop shows as a gap once a later message arrives.
            try publisher.publish(.resultShare, payload: ["n": -1])
            let dropped = publisher.statistics.publishDropped
            #expect(dropped > 0, "an outbox of 8 overflows in a tight loop")
            try await waitUntil("every message received or counted missed") {
                recorder.messages.count + recorder.bus.statistics.missed == 2_001
            }
            #expect(recorder.bus.statistics.missed == dropped)
            #expect(recorder.bus.losses(of: .resultShare) == ["pool_outbox": dropped])
        }
    }

    @Test("a stalled subscriber does not slow routing: every task completes while it is stopped, and it counts what it missed")
    func stalledSubscriber() async throws {
        let small = ["MAHAVISHNU_BUS_HIGH_WATER_MARK": "50"]
        try await Deployment.with(pools: [("a", 4)], environment: small.merging(["MAHAVISHNU_MEMORY_AGGREGATION_ENABLED": "false"]) { $1 }) { deployment in
            let tail = try ManagedProcess(
                name: "bus tail", executable: mahavishnuExecutable,
                arguments: ["bus", "tail", "--type", "task_completed", "--type", "status_update", "--bus-pub", deployment.busPub, "--bus-sub", deployment.busSub],
                environment: small
            )
            let prober = try await BusRecorder(deployment, types: [], scope: .direct)
            defer { prober.close() }
            do {
                try await probe(from: prober.bus) { marker in tail.stdoutLines.contains { $0.contains(marker) } }
                tail.send(SIGSTOP)
                let padding = String(repeating: "x", count: 16_384)
                let results = try await withDeadline(.seconds(120), what: "1,500 tasks while the subscriber is stopped") {
                    try await deployment.submit(count: 1_500, window: 64, selector: nil) { "stalled \($0) \(padding)" }
                }
                #expect(results.count == 1_500)
                #expect(results.allSatisfy { $0.status == .completed })
                #expect(try await deployment.stats().resultsDelivered >= 1_500)

                // A gap shows once a later message arrives: run tasks until the resumed tail prints one.
                tail.send(SIGCONT)
                let after = try await withDeadline(.seconds(60), what: "the resumed subscriber to print a task finished after the stall") {
                    var count = 0
                    while !tail.stdoutLines.contains(where: { $0.contains("after the stall") }) {
                        count += 1
                        _ = try await deployment.client.submit(TaskRequest(prompt: "after the stall \(count)"), timeout: .seconds(30))
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    return count
                }
                let status = await tail.stop()
                #expect(status == 0)
                let summary = try #require(tail.stderrTail.split(separator: "\n").last { $0.hasPrefix("bus tail: received=") })
                let missed = try #require(readyFields(String(summary))["missed"].flatMap { Int($0) })
                let printed = tail.stdoutLines.filter { $0.contains(" task_completed pool_a ") }.count
                #expect(missed > 0, "the stalled subscriber counted its losses: \(summary)")
                #expect(printed < 1_500)
                #expect(printed + missed == 1_500 + after, "every task_completed pool a published was either printed or counted as missed (\(printed) + \(missed))")
            } catch {
                tail.send(SIGCONT)
                await tail.stop()
                throw error
            }
        }
    }
}
