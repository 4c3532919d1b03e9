import Foundation
import Testing

@Suite("The Python producer example", .serialized)
struct PythonProducerTests {
    @Test("examples/producer.py pushes 1000 tasks with many in flight and checks every result")
    func pythonProducer() async throws {
        try await Deployment.with(pools: [("a", 4), ("b", 4), ("c", 4)]) { deployment in
            let producer = try ManagedProcess(
                name: "producer.py", executable: URL(fileURLWithPath: "/usr/bin/env"),
                arguments: ["python3", repositoryRoot.appendingPathComponent("examples/producer.py").path,
                            "--broker", deployment.frontend, "--tasks", "1000", "--window", "64"]
            )
            let summary = try await producer.line(startingWith: "completed", within: .seconds(120))
            let status = try await producer.exitStatus(within: .seconds(30))
            #expect(status == 0, "producer.py failed: \(producer.stderrTail)")
            #expect(summary.hasPrefix("completed 1000/1000"))
            #expect(try await deployment.stats().resultsDelivered >= 1000)
        }
    }
}
