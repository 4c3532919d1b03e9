import ZeroMQ

extension Socket {
    /// A DEALER connected to a broker endpoint, as pools and clients use: unbounded queues (the
    /// broker's credit bounds them), the routing id if given, and CURVE when `curve` is set.
    public static func brokerDealer(_ context: Context, endpoint: String, routingID: String? = nil, curve: ClientCurveKeys?) throws -> Socket {
        try brokerDealer(context, endpoint: endpoint, routingID: routingID, curve: curve, beforeConnect: { _ in })
    }

    /// A `brokerDealer` with a `HandshakeWatch` on it from before it connects, so no handshake goes unseen.
    public static func watchedBrokerDealer(_ context: Context, endpoint: String, routingID: String? = nil, curve: ClientCurveKeys?) throws -> (socket: Socket, handshakes: HandshakeWatch) {
        var watch: HandshakeWatch?
        let socket = try brokerDealer(context, endpoint: endpoint, routingID: routingID, curve: curve) { watch = try HandshakeWatch(watching: $0, usesCurve: curve != nil) }
        return (socket, watch!)
    }

    private static func brokerDealer(_ context: Context, endpoint: String, routingID: String?, curve: ClientCurveKeys?, beforeConnect: (Socket) throws -> Void) throws -> Socket {
        let socket = try Socket(context, type: .dealer, linger: 0)
        do {
            if let curve { try socket.becomeCurveClient(curve.keys, serverKey: curve.serverKey) }
            if let routingID { try socket.set(.routingID, routingID) }
            try socket.set(.sendHighWaterMark, 0)
            try socket.set(.receiveHighWaterMark, 0)
            try beforeConnect(socket)
            try socket.connect(endpoint)
        } catch {
            socket.close()
            throw error
        }
        return socket
    }
}
