import Foundation
import Mahavishnu
import Testing

@Suite("Delegation between pools over the bus", .serialized)
struct DelegationTests {
    @Test("a task on pool a that names delegate_to b runs on b, and b's result comes back to a and on to the producer")
    func delegateFromAToB() async throws {
        try await Deployment.with(pools: [("a", 1), ("b", 1), ("c", 1)]) { deployment in
            let observer = try await BusRecorder(deployment, types: [.taskDelegate, .resultShare, .taskCompleted])
            defer { observer.close() }
            let task = TaskRequest(prompt: "delegated work", sleepMilliseconds: 100, delegateTo: "b")
            let result = try await deployment.client.submit(task, taskID: "delegating-task", selector: .affinity, affinity: "a", timeout: .seconds(30))
            #expect(result.poolID == "pool_a")
            #expect(result.workerID == "pool_a.w0")
            #expect(result.status == .completed)
            #expect(result.output == "delegated work")
            #expect(result.duration >= 0.1, "pool a's worker waited for pool b's result")

            let traffic = try await observer.waitFor("task_delegate, result_share and both task_completed") { messages in
                messages.contains { $0.type == .resultShare } && messages.filter { $0.type == .taskCompleted }.count >= 2
            }
            let delegate = try #require(traffic.first { $0.type == .taskDelegate })
            #expect(delegate.sourcePoolID == "pool_a")
            #expect(delegate.targetPoolID == "pool_b")
            let request = try delegate.payload(as: TaskDelegateRequest.self)
            #expect(request.replyTo == "pool_a")
            #expect(request.task == TaskRequest(prompt: "delegated work", sleepMilliseconds: 100))

            let share = try #require(traffic.first { $0.type == .resultShare })
            #expect(share.sourcePoolID == "pool_b")
            #expect(share.targetPoolID == "pool_a")
            let shared = try share.payload(as: ResultShare.self)
            #expect(shared.delegationID == request.delegationID)
            #expect(shared.result?.poolID == "pool_b")
            #expect(shared.result?.taskID == request.delegationID)
            #expect(shared.result?.output == "delegated work")

            let completed = try traffic.filter { $0.type == .taskCompleted }.map { try $0.payload(as: TaskCompletedEvent.self) }
            #expect(completed.contains { $0.poolID == "pool_b" && $0.taskID == request.delegationID })
            #expect(completed.contains { $0.poolID == "pool_a" && $0.taskID == "delegating-task" })

            let pools = try await deployment.pools()
            #expect(pools["a"]?.tasksCompleted == 1)
            #expect(pools["b"]?.tasksCompleted == 1)
            #expect(pools["c"]?.tasksCompleted == 0)
        }
    }

    @Test("delegating to an unknown pool, or to the pool itself, fails that task with a clear error")
    func delegationErrors() async throws {
        try await Deployment.with(pools: [("a", 2)]) { deployment in
            let unknown = try await deployment.client.submit(TaskRequest(prompt: "x", delegateTo: "nowhere"), selector: .affinity, affinity: "a", timeout: .seconds(30))
            #expect(unknown.status == .failed)
            #expect(unknown.error == "cannot delegate to pool 'nowhere': no such pool 'nowhere'; live pools: a")
            let itself = try await deployment.client.submit(TaskRequest(prompt: "x", delegateTo: "a"), selector: .affinity, affinity: "a", timeout: .seconds(30))
            #expect(itself.status == .failed)
            #expect(itself.error == "cannot delegate to pool 'a': pool 'a' cannot delegate to itself")
            let normal = try await deployment.client.submit(TaskRequest(prompt: "still serving"), selector: .affinity, affinity: "a", timeout: .seconds(30))
            #expect(normal.output == "still serving")
        }
    }

    @Test("the delegation example runs against mahavishnu up's local and heavy pools")
    func delegationExample() async throws {
        try await UpDeployment.with(pools: [("local", 2), ("heavy", 2)]) { deployment in
            let example = mahavishnuExecutable.deletingLastPathComponent().appendingPathComponent("mahavishnu-example-delegation")
            let output = try await runCommand(example, [deployment.frontend, deployment.busPub, deployment.busSub])
            #expect(output.status == 0, "\(output.stderr)")
            let lines = output.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("result from pool pool_") == true)
            #expect(lines.first?.hasSuffix(": completed: Summarise the API implementation") == true)
            #expect(lines.contains { $0.hasPrefix("task_delegate pool_") && $0.hasSuffix(#": "Summarise the API implementation""#) })
            #expect(lines.contains { $0.hasPrefix("result_share pool_") && $0.contains(": ran on pool_") })
        }
    }
}
