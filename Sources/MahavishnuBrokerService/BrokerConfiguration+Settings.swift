import Foundation
import MahavishnuBroker
import MahavishnuCore

extension BrokerConfiguration {
    /// A configuration from settings, able to start pools with `mahavishnu-pool` next to this
    /// process's executable (and `session-buddy` pools with a `mahavishnu` there, its `pool run`).
    public init(settings: Settings, settingsFile: String?) throws {
        self.init()
        if let keysDir = settings.brokerKeysDir, let allowList = settings.brokerAllowList {
            security = BrokerSecurity(keys: try CurveKeyFiles.keyPair(in: keysDir, name: CurveKeyFiles.brokerName), allowListFile: allowList)
        }
        frontend = settings.brokerFrontend
        backend = settings.brokerBackend
        queueBound = settings.brokerQueueBound
        queueBytes = settings.brokerQueueBytes
        maxTaskBytes = settings.maxTaskBytes
        maxResultBytes = settings.maxResultBytes
        producerHighWaterMark = Int32(clamping: settings.producerHighWaterMark)
        defaultSelector = settings.poolRoutingStrategy
        heartbeatInterval = .milliseconds(settings.heartbeatIntervalMs)
        heartbeatLiveness = settings.heartbeatLiveness
        retryBudget = settings.taskRetryBudget
        affinityWait = .milliseconds(Int(settings.affinityWaitSeconds * 1000))
        resultCacheSize = settings.resultCacheSize
        resultCacheBytes = settings.resultCacheBytes
        if settings.journalMode != .off {
            journal = JournalConfiguration(mode: settings.journalMode, path: settings.journalFile, directory: Settings.stateDirectory,
                                           retention: .milliseconds(Int(settings.journalRetentionSeconds * 1000)))
        }
        if let role = settings.brokerRole, let peer = settings.brokerPeer {
            pair = BrokerPairConfiguration(role: role, bind: settings.brokerPairBind, peer: peer, timeout: .milliseconds(settings.brokerPeerTimeoutMs))
        }
        autoscaleCooldown = .milliseconds(Int(settings.autoscaleCooldownSeconds * 1000))
        workerTypeNames = settings.workerTypes.names
        poolsEnabled = settings.poolsEnabled
        workersEnabled = settings.workersEnabled
        poolExecutables = PoolExecutables(besideMahavishnu: Self.currentExecutable())
        self.settingsFile = settingsFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }

    /// This process's executable, so the broker starts pools from the same build.
    private static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
