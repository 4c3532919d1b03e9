import MahavishnuCore

extension RouterLoop {
    /// The `info` reply: the endpoints as bound, wildcard ports resolved.
    func brokerInfo() -> BrokerInfo {
        BrokerInfo(
            version: MahavishnuVersion.current,
            frontend: (try? frontend.lastEndpoint) ?? configuration.frontend,
            backend: (try? backend.lastEndpoint) ?? configuration.backend,
            busPub: bus?.publishEndpoint, busSub: bus?.subscribeEndpoint,
            memoryDatabasePath: configuration.memoryDatabasePath,
            heartbeatIntervalMs: configuration.heartbeatInterval.roundedUpMilliseconds,
            heartbeatLiveness: configuration.heartbeatLiveness
        )
    }
}
