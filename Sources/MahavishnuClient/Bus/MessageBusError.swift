/// Why a `MessageBus` call did not happen.
public enum MessageBusError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A source or target id cannot be used on the bus; the text says why.
    case invalidID(String)
    /// The bus was closed.
    case closed
    /// A probe did not come back through the broker's bus in time.
    case noBus(publish: String, subscribe: String, after: Duration)

    public var description: String {
        switch self {
        case .invalidID(let problem): problem
        case .closed: "the message bus was closed"
        case .noBus(let publish, let subscribe, let after):
            "no message bus at \(publish) / \(subscribe): a probe did not come back within \(after); is the broker running with its bus on these endpoints (broker_bus_pub, broker_bus_sub)?"
        }
    }
}
