/// The floors every broker figure is read against, measured in the same run with the same
/// messages and the same C load generator: one hop to an echo process, two hops through
/// libzmq's own proxy, and a broker of routing's shape written in C.
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

    /// `cbroker`: producer → a minimal credit-based broker in C (an LRU ring of credits, one
    /// `zmq_poll` loop) → C echo workers, as many processes and credits as `route`'s pools and
    /// workers, so the two are held to the same in-flight depth.
    func runCBroker() throws {
        try withProcesses { processes in
            let broker = try processes.startCBroker(workers: plan.backends, credits: plan.workersPerPool)
            try measure(
                "cbroker", scenario: .cbroker, label: "C broker",
                setup: "producer → C credit broker process (ROUTER ↔ ROUTER, LRU ring of credits) → \(plan.backends) C echo worker processes × \(plan.workersPerPool) credits",
                pools: plan.backends, slots: plan.backends * plan.workersPerPool, exchange: .task(selector: .leastLoaded), endpoint: broker.frontend, cpuOf: broker.pid
            )
        }
    }
}
