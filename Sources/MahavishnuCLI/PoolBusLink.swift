import Logging
import Mahavishnu
import MahavishnuPool

/// A pool process's link to the message bus: it publishes `task_completed` for every task the
/// pool finishes, and delegates and answers `task_delegate` through the broker's frontend.
struct PoolBusLink {
    let bus: MessageBus
    let broker: BrokerClient
    let delegation: InterPoolDelegation

    /// Connects as pool `poolID` (named `poolName`) to the bus and the broker frontend in `settings`.
    ///
    /// Waits up to 10 s for the bus, so the pool's first results are not published before the
    /// broker's subscribers can receive them; without a bus by then it logs that and goes on.
    static func connect(settings: Settings, poolID: String, poolName: String, logger: Logger) async throws -> PoolBusLink {
        let bus = try MessageBus(configuration: MessageBusConfiguration(settings: settings, identity: poolID), logger: logger)
        let broker = try BrokerClient(endpoint: settings.brokerFrontend, logger: logger)
        let delegation = InterPoolDelegation(
            bus: bus, broker: broker, poolName: poolName,
            defaultTimeout: .milliseconds(Int64(settings.workerTimeoutSeconds * 1000)), logger: logger
        )
        delegation.start()
        do {
            try await bus.roundTrip(timeout: .seconds(10))
        } catch {
            logger.warning("the pool is not connected to the message bus yet; it runs tasks, but events it publishes before the bus answers are lost",
                           metadata: ["error": "\(error)"])
        }
        return PoolBusLink(bus: bus, broker: broker, delegation: delegation)
    }

    /// Hooks that give the pool's finished tasks to the bus and its `delegate_to` tasks to the delegation.
    var hooks: PoolHooks {
        var hooks = PoolHooks()
        let bus = self.bus
        hooks.taskFinished = { event in try? bus.publish(.taskCompleted, payload: event) }
        hooks.delegation = delegation
        return hooks
    }

    /// Stops delegating, lets what was published pass the broker, and closes both connections.
    func close() async {
        delegation.stop()
        try? await bus.roundTrip(timeout: .seconds(2))
        bus.close()
        broker.close()
    }
}
