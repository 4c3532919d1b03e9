/// The rollback switches: `pools_enabled` (every pool type but `worker`) and `workers_enabled`
/// (pool type `worker`, the one-slot pools of the old worker API).
public enum FeatureSwitch: String, Sendable, CaseIterable {
    case pools = "pools_enabled"
    case workers = "workers_enabled"

    /// The switch that governs pools of `poolType`.
    public init(poolType: String) {
        self = poolType == PoolConfig.workerPoolType ? .workers : .pools
    }

    /// Whether this switch is on in `settings`.
    public func isOn(in settings: Settings) -> Bool {
        switch self {
        case .pools: settings.poolsEnabled
        case .workers: settings.workersEnabled
        }
    }

    /// Why a client refuses what this switch governs, and how to turn it on, naming the
    /// settings file in use (`nil`: none, only defaults and `MAHAVISHNU_*` variables).
    public func disabledMessage(settingsFile: String?) -> String {
        "\(self == .pools ? "pools" : "workers") are disabled in settings (\(state(settingsFile))); \(remedy(settingsFile)) to use them"
    }

    /// Why a broker refuses to spawn a pool of `poolType` that this switch governs.
    public func brokerRefusal(poolType: String, settingsFile: String?) -> String {
        "this broker does not spawn pools of type '\(poolType)': \(self == .pools ? "pools" : "workers") are disabled in its settings (\(state(settingsFile))); \(remedy(settingsFile)) for the broker and restart it"
    }

    private func state(_ settingsFile: String?) -> String {
        "\(rawValue): false; settings file: \(settingsFile ?? "none")"
    }

    private func remedy(_ settingsFile: String?) -> String {
        let place = settingsFile.map { "in \($0)" } ?? "in a settings file (--settings FILE)"
        return "set \(rawValue): true \(place) or MAHAVISHNU_\(rawValue.uppercased())=true"
    }
}
