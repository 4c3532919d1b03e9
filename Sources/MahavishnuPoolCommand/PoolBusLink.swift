import Logging
import MahavishnuClient
import MahavishnuPool

/// A pool process's link to the message bus: it publishes `task_completed` for every task the
/// pool finishes, and delegates and answers `task_delegate` through the broker's frontend.
struct PoolBusLink {
    /// Delegation: a producer connection to the broker's frontend and the bus traffic it answers.
    struct Delegation {
        let broker: BrokerClient
        let service: InterPoolDelegation
    }

    let bus: MessageBus
    /// `nil` under CURVE: a pool's key is admitted on the backend and the bus, not the frontend.
    let delegation: Delegation?

    /// Connects as pool `poolID` (named `poolName`) to the bus and the broker frontend in `settings`.
    ///
    /// Waits up to 10 s for the bus, so the pool's first results are not published before the
    /// broker's subscribers can receive them; without a bus by then it logs that and goes on.
    ///
    /// With CURVE, the pool's `curve` keys admit it to the bus. Delegating through the frontend
    /// would need a producer key, which a pool's key is not: under CURVE a pool does not delegate.
    static func connect(settings: Settings, poolID: String, poolName: String, curve: ClientCurveKeys?, logger: Logger) async throws -> PoolBusLink {
        let bus = try MessageBus(configuration: MessageBusConfiguration(settings: settings, identity: poolID, curve: curve), logger: logger)
        var delegation: Delegation?
        if curve == nil {
            let broker = try BrokerClient(endpoint: settings.brokerFrontend, logger: logger)
            let service = InterPoolDelegation(
                bus: bus, broker: broker, poolName: poolName,
                defaultTimeout: .milliseconds(Int64(settings.workerTimeoutSeconds * 1000)), logger: logger
            )
            service.start()
            delegation = Delegation(broker: broker, service: service)
        }
        do {
            try await bus.roundTrip(timeout: .seconds(10))
        } catch {
            logger.warning("the pool is not connected to the message bus yet; it runs tasks, but events it publishes before the bus answers are lost",
                           metadata: ["error": "\(error)"])
        }
        return PoolBusLink(bus: bus, delegation: delegation)
    }

    /// Hooks that give the pool's finished tasks to the bus and its `delegate_to` tasks to the delegation.
    var hooks: PoolHooks {
        var hooks = PoolHooks()
        let bus = self.bus
        hooks.tasksFinished = { events in
            for event in events { try? bus.publish(.taskCompleted, payload: event) }
        }
        hooks.delegation = delegation?.service
        return hooks
    }

    /// Stops delegating, lets what was published pass the broker, and closes both connections.
    func close() async {
        delegation?.service.stop()
        try? await bus.roundTrip(timeout: .seconds(2))
        bus.close()
        delegation?.broker.close()
    }
}
