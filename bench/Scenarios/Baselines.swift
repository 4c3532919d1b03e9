/// The floors every broker figure is read against, measured in the same run with the same
/// messages: one hop to an echo process, and two hops through libzmq's own proxy.
extension BenchSession {
    /// `echo`: producer DEALER ↔ echo ROUTER in another process.
    func runEcho() throws {
        try withProcesses { processes in
            let endpoint = try processes.startEchoServer(name: "echo")
            try measure(
                "echo", scenario: .echo, label: "echo", setup: "producer DEALER ↔ echo ROUTER process (1 hop)",
                pools: nil, slots: nil, exchange: .echoedTask, endpoint: endpoint
            )
        }
    }

    /// `proxy`: producer → `zmq_proxy` (ROUTER ↔ DEALER, in C) → echo processes.
    func runProxy() throws {
        try withProcesses { processes in
            let echoes = try (0..<plan.backends).map { try processes.startEchoServer(name: "echo \($0)") }
            let endpoint = try processes.startZMQProxy(backends: echoes)
            try measure(
                "proxy", scenario: .proxy, label: "proxy",
                setup: "producer → zmq_proxy process (ROUTER ↔ DEALER) → \(plan.backends) echo ROUTER processes (2 hops)",
                pools: nil, slots: nil, exchange: .echoedTask, endpoint: endpoint
            )
        }
    }
}
