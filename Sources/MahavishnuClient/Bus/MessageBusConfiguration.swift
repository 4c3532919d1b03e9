import MahavishnuCore
import ZeroMQ

/// Where a `MessageBus` connects and how much it buffers.
public struct MessageBusConfiguration: Sendable {
    /// The broker's bus publish side (its XSUB, `broker_bus_pub`). Default `tcp://127.0.0.1:5557`.
    public var publishEndpoint = "tcp://127.0.0.1:5557"
    /// The broker's bus subscribe side (its XPUB, `broker_bus_sub`). Default `tcp://127.0.0.1:5558`.
    public var subscribeEndpoint = "tcp://127.0.0.1:5558"
    /// This bus's id: the `source_pool_id` of what it publishes, and the target it receives with
    /// `BusScope.own`. A pool uses its pool id. Default: `client_` and 8 random hex digits.
    public var identity = "client_" + String(newPoolID().dropFirst("pool_".count))
    /// Messages each socket queues before dropping new ones (ZeroMQ high-water mark). Default 10,000.
    public var highWaterMark: Int32 = 10_000
    /// Messages each subscription buffers for a slow consumer before dropping new ones. Default 10,000.
    public var subscriptionBuffer = 10_000
    /// Messages `publish` queues for the socket thread before dropping new ones. Default 10,000.
    public var outboxLimit = 10_000
    /// CURVE keys, for a broker whose bus requires them. Default `nil` (plain).
    public var curve: ClientCurveKeys?
    /// The ZeroMQ context to open the sockets in: the broker's, for its own clients on the bus
    /// proxy's `inproc://` endpoints. Default `nil`: a context of the bus's own.
    public var context: Context?

    public init() {}

    /// The endpoints and high-water mark from settings (`broker_bus_pub`, `broker_bus_sub`,
    /// `bus_high_water_mark`), with `identity` if given, and `curve` keys (for a broker with CURVE on).
    public init(settings: Settings, identity: String? = nil, curve: ClientCurveKeys? = nil) {
        publishEndpoint = settings.brokerBusPub
        subscribeEndpoint = settings.brokerBusSub
        highWaterMark = Int32(clamping: settings.busHighWaterMark)
        self.curve = curve
        if let identity { self.identity = identity }
    }
}
