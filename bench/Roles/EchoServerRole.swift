import ArgumentParser
import ZeroMQ

/// `_echo-server`: a ROUTER that sends every message straight back, the floor under every hop.
///
/// Bound (`--bind`), producers talk to it directly: the one-hop `echo` baseline. Behind
/// `_zmq-proxy` it binds too and the proxy's DEALER connects to it: the two-hop `proxy` baseline.
/// Prints `echo ready endpoint=…` once bound.
struct EchoServerRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ChildRole.echoServer,
        abstract: "Internal: a ZeroMQ ROUTER that echoes every message.",
        shouldDisplay: false
    )

    @Option(help: "Endpoint to bind; ':*' lets the OS choose the port.")
    var bind = "tcp://127.0.0.1:*"

    func run() async throws {
        ParentWatch.start(onParentGone: .exitNow)
        let endpoint = bind
        try await onDedicatedThread(named: "bench.echo") {
            let context = try Context()
            let socket = try Socket(context, type: .router, linger: 0)
            defer { socket.close() }
            try socket.set(.sendHighWaterMark, 0)
            try socket.set(.receiveHighWaterMark, 0)
            try socket.bind(endpoint)
            ReadyLine.announce("echo ready endpoint=\(try socket.lastEndpoint)")
            let frames = Frames(capacity: 32)
            while try socket.receive(into: frames) {
                for index in 0..<frames.count {
                    try socket.send(frame: index, of: frames, more: index < frames.count - 1)
                }
            }
        }
    }
}
