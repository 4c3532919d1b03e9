import MahavishnuCore

extension BrokerEvent {
    /// The bus message this event is published as: `pool_created`, `pool_closed` or `status_update`.
    public var busPublication: (type: BusMessageType, payload: any Encodable & Sendable) {
        switch self {
        case .poolRegistered(let pool):
            (.poolCreated, pool)
        case .poolRemoved(let poolID, let name, let reason):
            (.poolClosed, PoolClosedEvent(poolID: poolID, name: name, reason: reason))
        case .spawnFailed(let name, let reason):
            (.statusUpdate, StatusUpdate(status: .spawnFailed, name: name, reason: reason))
        case .poolLost(let poolID, let name, let reason):
            (.statusUpdate, StatusUpdate(status: .lost, name: name, poolID: poolID, reason: reason))
        case .poolScaled(let poolID, let name, let from, let to, let reason):
            (.statusUpdate, StatusUpdate(status: .scaled, name: name, poolID: poolID, reason: reason, fromWorkers: from, toWorkers: to))
        case .poolRestarting(let poolID, let name, let after):
            (.statusUpdate, StatusUpdate(status: .restarting, name: name, poolID: poolID, reason: "restarting in \(after)"))
        case .draining:
            (.statusUpdate, StatusUpdate(status: .draining))
        case .pairChanged(let status):
            (.statusUpdate, StatusUpdate(status: .pair, reason: "\(status.state.rawValue) at epoch \(status.epoch) (role \(status.role.rawValue))"))
        }
    }
}
