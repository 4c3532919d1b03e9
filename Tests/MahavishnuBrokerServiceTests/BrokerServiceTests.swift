import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Mahavishnu
import MahavishnuBroker
import MahavishnuBrokerService
import MahavishnuCore
import MahavishnuMemory
import Synchronization
import Testing
import ZeroMQ

/// A whole broker embedded in this process with `withBroker`, as a program would embed one:
/// the pool it starts is a real `mahavishnu-pool` process, reached over real sockets.
@Suite("Broker service, embedded")
struct BrokerServiceTests {
    /// Settings for a broker on loopback ports the OS picks, with its HTTP listener and memory
    /// store on, keeping its files in `directory`; and the broker configuration from them.
    static func loopbackBroker(in directory: URL) throws -> (Settings, BrokerConfiguration) {
        var settings = Settings()
        settings.brokerBusPub = "tcp://127.0.0.1:*"
        settings.brokerBusSub = "tcp://127.0.0.1:*"
        settings.brokerHTTP = "127.0.0.1:0"
        settings.brokerHTTPToken = directory.appendingPathComponent("dashboard.token").path
        settings.memoryAggregationEnabled = true
        settings.memoryDatabasePath = directory.appendingPathComponent("memory.db").path
        var configuration = try BrokerConfiguration(settings: settings, settingsFile: nil)
        configuration.frontend = "tcp://127.0.0.1:*"
        configuration.backend = "tcp://127.0.0.1:*"
        return (settings, configuration)
    }

    @Test("an embedded broker starts a pool, routes a task to it, stores the result in memory, drains the pool when its body ends, and frees its ports")
    func embeddedBroker() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("broker-service-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (settings, configuration) = try Self.loopbackBroker(in: directory)
        let events = Mutex<[BrokerEvent]>([])

        let (bus, closings, bound) = try await withBroker(configuration: configuration, settings: settings, events: { event in events.withLock { $0.append(event) } }) { endpoints in
            #expect(!endpoints.frontend.hasSuffix(":*") && !endpoints.busPublish.hasSuffix(":*"), "the ports the OS chose: \(endpoints)")
            #expect(endpoints.memoryDatabase == settings.memoryDatabaseFile)
            var busConfiguration = MessageBusConfiguration()
            busConfiguration.publishEndpoint = endpoints.busPublish
            busConfiguration.subscribeEndpoint = endpoints.busSubscribe
            let bus = try MessageBus(configuration: busConfiguration)
            let closings = bus.subscribe(to: [.poolClosed], scope: .all)
            try await bus.roundTrip()
            let manager = try PoolManager(broker: endpoints.frontend, settings: settings)
            defer { manager.close() }
            let poolID = try await manager.spawnPool("mahavishnu", config: PoolConfig(name: "embedded", minWorkers: 1, maxWorkers: 1))
            let result = try await manager.executeOnPool(poolID, task: TaskRequest(prompt: "embedded wombat"), timeout: .seconds(30))
            #expect(result.status == .completed && result.poolID == poolID)
            let store = try MemoryStore(path: settings.memoryDatabaseFile)
            let deadline = ContinuousClock.now + .seconds(20)
            while try await store.stats().records == 0 {
                guard ContinuousClock.now < deadline else { throw BrokerServiceTestFailure("the result never reached the memory store") }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await store.search("wombat").map(\.poolName) == ["embedded"])
            let http = try #require(endpoints.http)
            let (data, response) = try await URLSession.shared.data(from: URL(string: "http://\(http)/metrics")!)
            let metrics = String(decoding: data, as: UTF8.self)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(metrics.contains(#"mahavishnu_tasks_finished_total{pool="embedded",status="completed"} 1"#), "\(metrics.prefix(2_000))")
            let (_, missing) = try await URLSession.shared.data(from: URL(string: "http://\(http)/nowhere")!)
            #expect((missing as? HTTPURLResponse)?.statusCode == 404)
            return (bus, closings, [endpoints.frontend, endpoints.backend, endpoints.busPublish, endpoints.busSubscribe, "tcp://\(http)"])
        }
        defer { bus.close() }
        // Every socket the broker bound is closed once withBroker returns: its ports bind again.
        let context = try ZeroMQ.Context()
        for endpoint in bound {
            let successor = try ZeroMQ.Socket(context, type: .router, linger: 0)
            defer { successor.close() }
            #expect(throws: Never.self, "\(endpoint) is still bound") { try successor.bind(endpoint) }
        }
        // Published as the pool left during the drain: the bus outlived the router.
        let closed = try await firstMessage(of: closings, within: .seconds(10))
        #expect(closed.sourcePoolID == "broker")

        let seen = events.withLock { $0 }
        #expect(seen.contains { if case .poolRegistered(let pool) = $0 { pool.name == "embedded" } else { false } })
        #expect(seen.contains { if case .draining = $0 { true } else { false } }, "shutdown drains, as SIGTERM does")
        #expect(seen.contains { if case .poolRemoved(_, let name, _) = $0 { name == "embedded" } else { false } }, "the pool said goodbye before the broker stopped: \(seen)")
    }

    @Test("bus messages the broker's memory aggregator never received (a gap in their publisher's numbers) are counted in /metrics")
    func busLossesInMetrics() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("broker-bus-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (settings, configuration) = try Self.loopbackBroker(in: directory)
        try await withBroker(configuration: configuration, settings: settings) { endpoints in
            // A publisher of our own, which sees the subscriptions reach it: the aggregator's is for every task_completed.
            let context = try ZeroMQ.Context()
            let publisher = try ZeroMQ.Socket(context, type: .xpub, linger: 0)
            defer { publisher.close() }
            try publisher.connect(endpoints.busPublish)
            try publisher.set(.receiveTimeout, Int32(10_000))
            let topic = BusTopic.topic(.taskCompleted, target: nil)
            while true {
                guard let subscription = try publisher.receiveMultipart() else { throw BrokerServiceTestFailure("no subscription reached the publisher") }
                if let frame = subscription.first, frame.first == 1, topic.starts(with: frame.dropFirst()) { break }
            }
            let header = try JSONCoding.encode(BusHeader(type: .taskCompleted, sourcePoolID: "forger", targetPoolID: nil, timestamp: Date()))
            // Numbers 1 and 5: the three between never arrive.
            for sequence: UInt64 in [1, 5] {
                _ = try publisher.send(multipart: BusEnvelope(topic: topic, publisher: Array("forger-run".utf8), sequence: sequence).frames(header: header, payload: Array("{}".utf8)))
            }
            let http = try #require(endpoints.http)
            let expected = #"mahavishnu_bus_messages_lost_total{client="memory",reason="missed"} 3"#
            let deadline = ContinuousClock.now + .seconds(10)
            var metrics = ""
            while !metrics.contains(expected) {
                guard ContinuousClock.now < deadline else { throw BrokerServiceTestFailure("no \(expected) in /metrics: \(metrics.split(separator: "\n").filter { $0.contains("bus_") })") }
                let (data, _) = try await URLSession.shared.data(from: URL(string: "http://\(http)/metrics")!)
                metrics = String(decoding: data, as: UTF8.self)
            }
            #expect(metrics.contains(#"mahavishnu_bus_messages_lost_total{client="broker",reason="publish_dropped"} 0"#))
        }
    }

    @Test("a broker that cannot bind throws from withBroker, naming the endpoint, and runs nothing")
    func endpointInUse() async throws {
        let context = try ZeroMQ.Context()
        let squatter = try ZeroMQ.Socket(context, type: .router, linger: 0)
        defer { squatter.close() }
        try squatter.bind("tcp://127.0.0.1:*")
        let taken = try squatter.lastEndpoint
        var settings = Settings()
        settings.memoryAggregationEnabled = false
        settings.brokerHTTP = "off"
        var configuration = try BrokerConfiguration(settings: settings, settingsFile: nil)
        configuration.frontend = taken
        configuration.backend = "tcp://127.0.0.1:*"
        let ran = Atomic<Bool>(false)
        await #expect {
            try await withBroker(configuration: configuration, settings: settings) { _ in ran.store(true, ordering: .relaxed) }
        } throws: { error in
            "\(error)".contains(taken)
        }
        let bodyRan = ran.load(ordering: .relaxed)
        #expect(!bodyRan)
    }
}

/// The first message `stream` yields, or a failure after `timeout`.
func firstMessage(of stream: AsyncStream<BusMessage>, within timeout: Duration) async throws -> BusMessage {
    try await withThrowingTaskGroup(of: BusMessage?.self) { tasks in
        tasks.addTask { await stream.first { _ in true } }
        tasks.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { tasks.cancelAll() }
        guard let message = try await tasks.next() ?? nil else { throw BrokerServiceTestFailure("no bus message within \(timeout)") }
        return message
    }
}

struct BrokerServiceTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
