import Foundation
import Mahavishnu
import Testing

@Suite("mahavishnu bus tail", .serialized)
struct BusTailTests {
    @Test("bus tail prints pool_created and task_completed for a run, as JSON or one readable line each")
    func tailShowsARun() async throws {
        try await Deployment.with(pools: []) { deployment in
            let endpoints = ["--bus-pub", deployment.busPub, "--bus-sub", deployment.busSub]
            let json = try ManagedProcess(name: "bus tail --json", executable: mahavishnuExecutable,
                                          arguments: ["bus", "tail", "--type", "pool_created", "--type", "task_completed", "--type", "status_update", "--json"] + endpoints)
            let plain = try ManagedProcess(name: "bus tail", executable: mahavishnuExecutable, arguments: ["bus", "tail"] + endpoints)
            let prober = try await BusRecorder(deployment, types: [], scope: .direct)
            defer { prober.close() }
            do {
                for tail in [json, plain] {
                    try await probe(from: prober.bus) { marker in tail.stdoutLines.contains { $0.contains(marker) } }
                }
                try await deployment.startPool(name: "a", workers: 2)
                try await deployment.startPool(name: "b", workers: 2)
                let results = try await deployment.submit(count: 6, window: 6, selector: .roundRobin) { "tailed \($0)" }

                try await waitUntil("the JSON tail to print 6 task_completed") {
                    json.stdoutLines.filter { $0.contains(#""type":"task_completed""#) }.count >= 6
                }
                let messages = try json.stdoutLines.map { try BusMessage(json: Array($0.utf8)) }
                let created = messages.filter { $0.type == .poolCreated }
                #expect(try Set(created.map { try $0.payload(as: PoolSummary.self).name }) == ["a", "b"])
                #expect(created.allSatisfy { $0.sourcePoolID == "broker" && $0.targetPoolID == nil })
                let completed = try messages.filter { $0.type == .taskCompleted }.map { try $0.payload(as: TaskCompletedEvent.self) }
                #expect(Set(completed.map(\.taskID)) == Set(results.map(\.taskID)))
                #expect(Set(completed.map(\.poolName)) == ["a", "b"])
                #expect(completed.allSatisfy { $0.output.hasPrefix("tailed ") && $0.duration >= 0 })
                #expect(!messages.contains { $0.type == .heartbeat }, "--type keeps other types out")

                try await waitUntil("the readable tail to print 6 task_completed") {
                    plain.stdoutLines.filter { $0.contains(" task_completed pool_") }.count >= 6
                }
                #expect(plain.stdoutLines.contains { $0.contains(" pool_created broker → * ") && $0.contains(#""name":"a""#) })
                #expect(plain.stdoutLines.contains { $0.contains(" task_completed pool_a → * ") && $0.contains("tailed ") })

                for tail in [json, plain] {
                    #expect(await tail.stop() == 0)
                    #expect(tail.stderrTail.contains("bus tail: received="))
                }
            } catch {
                await json.stop()
                await plain.stop()
                throw error
            }
        }
    }

    @Test("bus tail finds the bus of the broker named by --broker or MAHAVISHNU_BROKER, which answers info with its bound endpoints")
    func tailAsksTheBrokerWhereItsBusIs() async throws {
        try await Deployment.with(pools: []) { deployment in
            let info = try await deployment.client.control(.info, as: BrokerInfo.self)
            #expect(info.frontend == deployment.frontend && info.backend == deployment.backend)
            #expect(info.busPub == deployment.busPub && info.busSub == deployment.busSub)
            #expect(info.version == MahavishnuVersion.current)
            #expect(info.heartbeatIntervalMs == Settings().heartbeatIntervalMs && info.heartbeatLiveness == Settings().heartbeatLiveness)
            #expect(info.memoryDatabasePath?.hasSuffix("memory.sqlite") == true)

            // The shipped settings file (in the working directory) names the default bus ports; the named broker wins over them.
            let byFlag = try ManagedProcess(name: "bus tail --broker", executable: mahavishnuExecutable,
                                            arguments: ["bus", "tail", "--json", "--broker", deployment.frontend])
            let byEnvironment = try ManagedProcess(name: "bus tail, MAHAVISHNU_BROKER", executable: mahavishnuExecutable,
                                                   arguments: ["bus", "tail", "--json"], environment: ["MAHAVISHNU_BROKER": deployment.frontend])
            let prober = try await BusRecorder(deployment, types: [], scope: .direct)
            defer { prober.close() }
            do {
                for tail in [byFlag, byEnvironment] {
                    try await probe(from: prober.bus) { marker in tail.stdoutLines.contains { $0.contains(marker) } }
                    #expect(tail.stderrTail.contains("on \(deployment.busSub)"), "\(tail.name): \(tail.stderrTail)")
                    #expect(await tail.stop() == 0)
                }
            } catch {
                await byFlag.stop()
                await byEnvironment.stop()
                throw error
            }
        }
    }

    @Test("bus tail refuses an unknown type with the valid list, and says when no bus answers")
    func tailErrors() async throws {
        let unknown = try await runCommand(mahavishnuExecutable, ["bus", "tail", "--type", "gossip"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("task_completed"))
        let nowhere = try await runCommand(mahavishnuExecutable, ["bus", "tail", "--bus-pub", "tcp://127.0.0.1:9", "--bus-sub", "tcp://127.0.0.1:9"])
        #expect(nowhere.status != 0)
        #expect(nowhere.stderr.contains("no message bus at tcp://127.0.0.1:9"))
    }
}
