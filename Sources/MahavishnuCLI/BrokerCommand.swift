import ArgumentParser
import MahavishnuBroker
import MahavishnuCore

/// `mahavishnu broker`: run the broker in the foreground.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the broker: producers connect to its frontend, pools to its backend."
    )

    @Option(help: "Endpoint producers connect to (ROUTER). ':*' lets the OS choose the port.")
    var frontend = BrokerConfiguration().frontend

    @Option(help: "Endpoint pools connect to (ROUTER).")
    var backend = BrokerConfiguration().backend

    @Option(help: "Most tasks that may wait for a free pool; beyond it producers get 'overloaded'.")
    var queueBound = BrokerConfiguration().queueBound

    @Option(help: "Selector for tasks that name none: \(PoolSelector.validNames).")
    var selector = BrokerConfiguration().defaultSelector

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard queueBound >= 0 else { throw ValidationError("--queue-bound must be 0 or more (got \(queueBound))") }
        guard selector != .affinity else { throw ValidationError("--selector affinity needs a pool per task; choose least_loaded, round_robin or random") }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "mahavishnu.broker")
        var configuration = BrokerConfiguration()
        configuration.frontend = frontend
        configuration.backend = backend
        configuration.queueBound = queueBound
        configuration.defaultSelector = selector
        let broker = try Broker(configuration: configuration, logger: logger)
        announce("broker ready frontend=\(broker.frontendEndpoint) backend=\(broker.backendEndpoint)")
        try await BlockingLoopService.runUntilSignalled(
            BlockingLoopService(name: "mahavishnu.router", loop: { try broker.run() }, stop: { broker.stop() }),
            logger: logger
        )
    }
}

extension PoolSelector: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
