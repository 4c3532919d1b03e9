import ArgumentParser
import ZeroMQ

/// `_zmq-proxy`: libzmq's own `zmq_proxy`, ROUTER frontend ↔ DEALER backend, all in C.
///
/// The backend DEALER connects to every `--backend` echo server (so each has a pipe from the
/// first message on, and requests are dealt round-robin among them). Prints
/// `proxy ready frontend=…` once the frontend is bound.
struct ZMQProxyRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ChildRole.zmqProxy,
        abstract: "Internal: libzmq's zmq_proxy between a ROUTER frontend and a DEALER backend.",
        shouldDisplay: false
    )

    @Option(help: "Endpoint producers connect to; ':*' lets the OS choose the port.")
    var frontend = "tcp://127.0.0.1:*"

    @Option(help: "An echo server's endpoint for the DEALER backend to connect to (repeatable).")
    var backend: [String] = []

    func validate() throws {
        guard !backend.isEmpty else { throw ValidationError("give at least one --backend") }
    }

    func run() async throws {
        ParentWatch.start(onParentGone: .exitNow)
        let (frontendEndpoint, backends) = (frontend, backend)
        try await onDedicatedThread(named: "bench.zmq-proxy") {
            let context = try Context()
            let router = try Socket(context, type: .router, linger: 0)
            let dealer = try Socket(context, type: .dealer, linger: 0)
            defer {
                router.close()
                dealer.close()
            }
            for socket in [router, dealer] {
                try socket.set(.sendHighWaterMark, 0)
                try socket.set(.receiveHighWaterMark, 0)
            }
            for endpoint in backends { try dealer.connect(endpoint) }
            try router.bind(frontendEndpoint)
            ReadyLine.announce("proxy ready frontend=\(try router.lastEndpoint)")
            try proxy(frontend: router, backend: dealer)
        }
    }
}
