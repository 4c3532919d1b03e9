import MahavishnuCore
@testable import MahavishnuPool
import Testing

/// A pool's side of the protocol, against a broker scripted by the test: registration, tasks and
/// results, the broker's terms, scaling, the not_registered rule and the drain handshake. On the
/// main actor, as the router loop's tests, since they block their thread on sockets.
@Suite("Pool process, against a scripted broker", .serialized)
@MainActor
struct PoolProcessTests {
    @Test("READY describes the pool and its session; a task's result names the pool and worker")
    func registersAndRuns() throws {
        let broker = try ScriptedBroker()
        try broker.startPool("alpha", workers: 2, maxWorkers: 6)
        let (pool, registration) = try broker.welcome()
        #expect(registration.poolID == "pool_alpha" && registration.name == "alpha")
        #expect(registration.workers == 2 && registration.minWorkers == 2 && registration.maxWorkers == 6 && registration.busy == 0)
        #expect(registration.session?.isEmpty == false)
        let result = try broker.run("t1", body: #"{"prompt":"hello"}"#, on: pool)
        #expect(result.status == .completed && result.output == "hello")
        #expect(result.poolID == "pool_alpha" && result.workerID.hasPrefix("pool_alpha"))
    }

    @Test("a task body the pool cannot read gets a failed result naming the field, not silence")
    func unreadableBody() throws {
        let broker = try ScriptedBroker()
        try broker.startPool("alpha")
        let (pool, _) = try broker.welcome()
        let notJSON = try broker.run("t1", body: "not json", on: pool)
        #expect(notJSON.status == .failed)
        let wrongType = try broker.run("t2", body: #"{"prompt":"x","timeout":"soon"}"#, on: pool)
        #expect(wrongType.status == .failed)
        #expect(wrongType.error?.contains("timeout") == true, "\(wrongType.error ?? "")")
    }

    @Test("with the broker's max_result_bytes from WELCOME, a larger result is replaced by failed result_too_large")
    func resultSizeFromWelcome() throws {
        let broker = try ScriptedBroker()
        try broker.startPool("alpha")
        let (pool, _) = try broker.welcome(terms: WelcomeTerms(heartbeatInterval: .seconds(1), liveness: 3, maxResultBytes: 4_096))
        let big = try broker.run("big", body: #"{"prompt":"\#(String(repeating: "x", count: 5_000))"}"#, on: pool)
        #expect(big.status == .failed && big.output.isEmpty)
        #expect(big.error?.hasPrefix("result_too_large:") == true && big.error?.contains("at most 4 KiB") == true, "\(big.error ?? "")")
        let small = try broker.run("small", body: #"{"prompt":"fits"}"#, on: pool)
        #expect(small.status == .completed && small.output == "fits")
    }

    @Test("SCALE resizes within [min, max] and is confirmed with CAPACITY")
    func scales() throws {
        let broker = try ScriptedBroker()
        try broker.startPool("alpha", workers: 1, maxWorkers: 4)
        let (pool, _) = try broker.welcome()
        try broker.send(to: pool, ["MHV1", "SCALE", "3"])
        #expect(try broker.next("CAPACITY").frames[2] == "3")
        try broker.send(to: pool, ["MHV1", "SCALE", "99"])
        #expect(try broker.next("CAPACITY").frames[2] == "4", "clamped to max_workers")
    }

    @Test("not_registered is answered with one READY, however many arrive")
    func oneReadyPerSession() throws {
        let broker = try ScriptedBroker()
        try broker.startPool("alpha")
        let (pool, first) = try broker.welcome()
        for index in 0..<5 {
            try broker.send(to: pool, ["MHV1", "ERROR", "r\(index)", "not_registered", "this pool is not registered"])
        }
        let again = try broker.next("READY")
        let registration = try JSONCoding.decode(PoolRegistration.self, from: Array(again.frames[2].utf8))
        #expect(registration.session == first.session, "the same session: a repeat, not a new process")
        #expect(throws: ScriptFailure.self, "no second READY before the liveness interval") { try broker.next("READY", within: 500) }
    }

    @Test("stop: the pool says BYE, finishes, and returns once the broker answers BYE")
    func drains() throws {
        let broker = try ScriptedBroker()
        let process = try broker.startPool("alpha") { $0.drainTimeout = 5 }
        let (pool, _) = try broker.welcome()
        process.stop()
        _ = try broker.next("BYE")
        #expect(!broker.waitUntilStopped(process, timeout: 0.1), "it waits to be released")
        try broker.send(to: pool, ["MHV1", "BYE"])
        #expect(broker.waitUntilStopped(process))
    }

    @Test("a pool draining when the broker restarts says BYE again once the new broker welcomes it")
    func drainsAcrossBrokerRestart() throws {
        let broker = try ScriptedBroker()
        let process = try broker.startPool("alpha") { $0.drainTimeout = 5 }
        let (pool, _) = try broker.welcome()
        // A task answered: the pool has taken in its WELCOME.
        _ = try broker.run("t1", body: #"{"prompt":"x"}"#, on: pool)
        process.stop()
        _ = try broker.next("BYE")
        // A restarted broker does not know the pool: its BYE is answered not_registered.
        try broker.send(to: pool, ["MHV1", "ERROR", "", "not_registered", "this pool is not registered"])
        _ = try broker.next("READY")
        try broker.send(to: pool, ["MHV1", "WELCOME"])
        _ = try broker.next("BYE")
        try broker.send(to: pool, ["MHV1", "BYE"])
        #expect(broker.waitUntilStopped(process))
    }
}
