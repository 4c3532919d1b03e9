/// The hidden subcommand names the orchestrator starts this binary with, as the processes a
/// scenario measures against (the broker and pools are the real `mahavishnu` and `mahavishnu-pool`).
enum ChildRole {
    static let echoServer = "_echo-server"
    static let zmqProxy = "_zmq-proxy"
    static let fakePools = "_fake-pools"
}
