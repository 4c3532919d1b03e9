import ZeroMQ

extension Socket {
    /// A DEALER connected to a broker endpoint, as pools and clients use: unbounded queues (the
    /// broker's credit bounds them), the routing id if given, and CURVE when `curve` is set.
    public static func brokerDealer(_ context: Context, endpoint: String, routingID: String? = nil, curve: ClientCurveKeys?) throws -> Socket {
        let socket = try Socket(context, type: .dealer, linger: 0)
        do {
            if let curve { try socket.becomeCurveClient(curve.keys, serverKey: curve.serverKey) }
            if let routingID { try socket.set(.routingID, routingID) }
            try socket.set(.sendHighWaterMark, 0)
            try socket.set(.receiveHighWaterMark, 0)
            try socket.connect(endpoint)
        } catch {
            socket.close()
            throw error
        }
        return socket
    }
}
