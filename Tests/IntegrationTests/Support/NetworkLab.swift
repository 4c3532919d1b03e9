import Foundation
import Synchronization
import Testing

/// Test hosts on one machine: a network namespace per host, each joined by a veth pair to a
/// bridge in a switch namespace, with addresses that exist only inside these namespaces.
/// Everything it makes, `destroy()` removes.
struct NetworkLab: Sendable {
    static let ip = URL(fileURLWithPath: "/usr/sbin/ip")
    static let subnet = "10.213.77"

    let prefix: String
    let hosts: [String]

    /// Whether this process may create network namespaces (it must be root, with iproute2).
    static let canCreateNamespaces: Bool = {
        guard FileManager.default.isExecutableFile(atPath: ip.path) else { return false }
        let probe = "mhv-probe-\(getpid())"
        let created = (try? Process.run(ip, arguments: ["netns", "add", probe])).map { process in
            process.waitUntilExit()
            return process.terminationStatus == 0
        } ?? false
        if created { _ = try? Process.run(ip, arguments: ["netns", "del", probe]).waitUntilExit() }
        return created
    }()

    /// The namespace of `host`.
    func namespace(_ host: String) -> String { "\(prefix)-\(host)" }

    /// The address of `host`.
    func address(_ host: String) -> String { "\(Self.subnet).\(hosts.firstIndex(of: host)! + 1)" }

    /// The host side of `host`'s link.
    func link(_ host: String) -> String { "\(prefix)h\(hosts.firstIndex(of: host)!)" }

    /// Builds the namespaces, links and bridge; removes what it made if a step fails.
    static func create(hosts: [String]) async throws -> NetworkLab {
        // Labs of one test process run side by side: each has its own number in its names.
        let lab = NetworkLab(prefix: "mhv\(getpid() % 100_000)l\(labsMade.add(1, ordering: .relaxed).oldValue)", hosts: hosts)
        let bridge = lab.namespace("switch")
        do {
            try await run(["netns", "add", bridge])
            try await run(["-n", bridge, "link", "add", "br0", "type", "bridge"])
            try await run(["-n", bridge, "link", "set", "br0", "up"])
            for (index, host) in hosts.enumerated() {
                let namespace = lab.namespace(host), port = "\(lab.prefix)s\(index)"
                try await run(["netns", "add", namespace])
                try await run(["link", "add", lab.link(host), "netns", namespace, "type", "veth", "peer", "name", port, "netns", bridge])
                try await run(["-n", namespace, "addr", "add", "\(lab.address(host))/24", "dev", lab.link(host)])
                try await run(["-n", namespace, "link", "set", lab.link(host), "up"])
                try await run(["-n", namespace, "link", "set", "lo", "up"])
                try await run(["-n", bridge, "link", "set", port, "master", "br0"])
                try await run(["-n", bridge, "link", "set", port, "up"])
            }
        } catch {
            await lab.destroy()
            throw error
        }
        return lab
    }

    /// Runs `body` in a new lab of `hosts`, then stops every process `body` put in `processes`
    /// and removes the lab, whether `body` returned or threw; checks that no namespace is left.
    static func with(hosts: [String], _ body: (NetworkLab, LabProcesses) async throws -> Void) async throws {
        let lab = try await create(hosts: hosts)
        let processes = LabProcesses()
        do {
            try await body(lab, processes)
        } catch {
            await processes.stopAll()
            await lab.destroy()
            throw error
        }
        await processes.stopAll()
        await lab.destroy()
        let leftovers = try await runCommand(ip, ["netns", "list"])
        #expect(!leftovers.stdout.contains(lab.prefix), "every namespace was removed")
    }

    /// Brings `host`'s link down (cut off) or up again.
    func setLink(_ host: String, up: Bool) async throws {
        try await Self.run(["-n", namespace(host), "link", "set", link(host), up ? "up" : "down"])
    }

    /// The arguments that run `command` inside `host` (for `ip`).
    func inside(_ host: String, _ command: [String]) -> [String] { ["netns", "exec", namespace(host)] + command }

    /// Deletes every namespace the lab made (their links go with them).
    func destroy() async {
        for name in hosts.map(namespace) + [namespace("switch")] {
            _ = try? await runCommand(Self.ip, ["netns", "del", name])
        }
    }

    private static func run(_ arguments: [String]) async throws {
        let output = try await runCommand(ip, arguments)
        guard output.status == 0 else { throw TestFailure("ip \(arguments.joined(separator: " ")) failed: \(output.stderr)") }
    }
}

/// The processes a test started in a lab, stopped by their pids (in reverse order) when it ends.
final class LabProcesses: Sendable {
    private let started = Mutex<[ManagedProcess]>([])

    /// Keeps `process` to stop, and returns it.
    @discardableResult
    func add(_ process: ManagedProcess) -> ManagedProcess {
        started.withLock { $0.append(process) }
        return process
    }

    /// Stops every process kept so far.
    func stopAll() async {
        for process in started.withLock({ list in defer { list.removeAll() }; return list }).reversed() { await process.stop() }
    }
}

/// How many labs this test process has made.
private let labsMade = Atomic<Int>(0)
