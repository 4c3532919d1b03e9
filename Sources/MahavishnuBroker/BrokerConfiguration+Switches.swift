import MahavishnuCore

extension BrokerConfiguration {
    /// Why `spawn` refuses a pool of `poolType` under this broker's `pools_enabled` /
    /// `workers_enabled`, or `nil` when its switch is on.
    func switchRefusal(poolType: String) -> String? {
        let governing = FeatureSwitch(poolType: poolType)
        let isOn = switch governing {
        case .pools: poolsEnabled
        case .workers: workersEnabled
        }
        return isOn ? nil : governing.brokerRefusal(poolType: poolType, settingsFile: settingsFile)
    }
}
