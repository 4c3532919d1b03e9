import MahavishnuCommandCore
import MahavishnuCore
import Yams

/// The Kubernetes objects of a plan: a namespace, the settings as a ConfigMap, the CURVE keys as
/// Secrets, each broker as a Service and a one-replica StatefulSet with a journal volume, and each
/// pool as a one-replica Deployment; probes run `mahavishnu pool health`.
struct KubernetesManifests {
    let plan: DeploymentPlan

    /// Where the containers find what they read.
    static let paths = DeploymentPlan.Paths(
        settings: "/etc/mahavishnu/settings/mahavishnu.yaml", brokerKeys: "/etc/mahavishnu/keys",
        journal: "/var/lib/mahavishnu/journal", probeKeys: "/etc/mahavishnu/probe-keys", poolKeys: { _ in "/etc/mahavishnu/keys" }
    )

    /// The files to write, each one or more YAML documents.
    func files() throws -> [RenderedFile] {
        var files = [RenderedFile(name: "00-namespace.yaml", text: try yaml([object("v1", "Namespace", plan.deploy.namespace, namespaced: false)]))]
        var secrets: [Node] = []
        if let settings = plan.settings {
            files.append(RenderedFile(name: "01-settings.yaml", text: try yaml([configMap(settings.text)])))
        }
        if plan.curve {
            secrets.append(secret("mahavishnu-broker-keys", plan.brokerKeys))
            secrets.append(secret("mahavishnu-probe-keys", plan.probeKeys))
            for (pool, _) in plan.pools { secrets.append(secret(try poolObjectName(pool), plan.poolKeys[pool.name] ?? [], suffix: "-keys")) }
            files.append(RenderedFile(name: "02-keys.yaml", text: try yaml(secrets), secret: true))
        }
        for (index, broker) in plan.brokers.enumerated() {
            files.append(RenderedFile(name: "1\(index)-\(broker.name).yaml", text: try yaml([service(broker), statefulSet(broker)])))
        }
        for (pool, _) in plan.pools {
            files.append(RenderedFile(name: "20-\(try poolObjectName(pool)).yaml", text: try yaml([try deployment(pool)])))
        }
        return files
    }

    // MARK: - Objects

    private var namespace: String { plan.deploy.namespace }

    /// A broker's address inside the cluster: its Service's name.
    private func address(_ broker: DeploymentPlan.Broker) -> String { "\(broker.name).\(namespace).svc" }

    private var frontends: [String] { plan.brokers.map { "tcp://\(address($0)):\(plan.ports.frontend)" } }

    private func labels(_ component: String) -> Node {
        ["app.kubernetes.io/name": "mahavishnu", "app.kubernetes.io/component": .text(component)]
    }

    private func object(_ apiVersion: String, _ kind: String, _ name: String, namespaced: Bool = true, labels: Node? = nil) -> Node {
        var metadata: Node = ["name": .text(name)]
        if namespaced { metadata["namespace"] = .text(namespace) }
        if let labels { metadata["labels"] = labels }
        return ["apiVersion": .text(apiVersion), "kind": .text(kind), "metadata": metadata]
    }

    private func configMap(_ settings: String) -> Node {
        var map = object("v1", "ConfigMap", "mahavishnu-settings")
        map["data"] = ["mahavishnu.yaml": Node(settings, .implicit, .literal)]
        return map
    }

    private func secret(_ name: String, _ files: [DeploymentPlan.KeyFile], suffix: String = "") -> Node {
        var secret = object("v1", "Secret", name + suffix)
        secret["type"] = "Opaque"
        secret["stringData"] = Node(files.map { (.text($0.name), Node($0.text, .implicit, .literal)) })
        return secret
    }

    private func service(_ broker: DeploymentPlan.Broker) -> Node {
        var service = object("v1", "Service", broker.name, labels: labels(broker.name))
        service["spec"] = ["selector": labels(broker.name), "ports": Node(brokerPorts(broker).map { port in
            ["name": .text(port.name), "port": .number(port.number), "targetPort": .number(port.number), "protocol": "TCP"]
        })]
        return service
    }

    private func brokerPorts(_ broker: DeploymentPlan.Broker) -> [(name: String, number: Int)] {
        let ports = plan.ports
        return [("frontend", ports.frontend), ("backend", ports.backend)] + [("bus-pub", ports.busPub), ("bus-sub", ports.busSub), ("pair", broker.pairPort)].compactMap { name, port in port.map { (name, $0) } }
    }

    private func statefulSet(_ broker: DeploymentPlan.Broker) -> Node {
        let peer = plan.brokers.first { $0.name != broker.name }
        let arguments = plan.brokerArguments(broker, bindHost: "0.0.0.0", peerAddress: peer.map(address), paths: Self.paths)
        var mounts: [Node] = [["name": "journal", "mountPath": "/var/lib/mahavishnu"]]
        var volumes: [Node] = []
        if plan.settings != nil { addSettings(&mounts, &volumes) }
        if plan.curve {
            addSecret("mahavishnu-broker-keys", at: Self.paths.brokerKeys, &mounts, &volumes)
            addSecret("mahavishnu-probe-keys", at: Self.paths.probeKeys, &mounts, &volumes)
        }
        // The broker's own frontend, on loopback: a passive broker answers health too, without taking over.
        let probe = plan.probeCommand("mahavishnu", frontends: ["tcp://127.0.0.1:\(plan.ports.frontend)"], paths: Self.paths)
        var container: Node = [
            "name": "broker", "image": .text(plan.deploy.image), "command": ["mahavishnu"], "args": .strings(Array(arguments)),
            "env": [["name": "XDG_STATE_HOME", "value": "/var/lib"]],
            "ports": Node(brokerPorts(broker).map { ["name": .text($0.name), "containerPort": .number($0.number)] }),
            "volumeMounts": Node(mounts),
        ]
        container["startupProbe"] = execProbe(probe, period: 5, failures: 60)
        container["livenessProbe"] = execProbe(probe, period: 10, failures: 3)
        var set = object("apps/v1", "StatefulSet", broker.name, labels: labels(broker.name))
        var podSpec: Node = ["containers": [container], "terminationGracePeriodSeconds": 30]
        if !volumes.isEmpty { podSpec["volumes"] = Node(volumes) }
        set["spec"] = [
            "serviceName": .text(broker.name), "replicas": 1,
            "selector": ["matchLabels": labels(broker.name)],
            "template": ["metadata": ["labels": labels(broker.name)], "spec": podSpec],
            "volumeClaimTemplates": [[
                "metadata": ["name": "journal"],
                "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": .text(plan.deploy.journalSize)]]],
            ]],
        ]
        return set
    }

    private func deployment(_ pool: Topology.Pool) throws -> Node {
        let name = try poolObjectName(pool)
        let arguments = plan.poolArguments(pool, brokerAddresses: plan.brokers.map(address), paths: Self.paths)
        var mounts: [Node] = []
        var volumes: [Node] = []
        if plan.settings != nil { addSettings(&mounts, &volumes) }
        if plan.curve {
            addSecret("\(name)-keys", at: Self.paths.poolKeys(pool.name), &mounts, &volumes)
            addSecret("mahavishnu-probe-keys", at: Self.paths.probeKeys, &mounts, &volumes)
        }
        var container: Node = ["name": "pool", "image": .text(plan.deploy.image), "command": ["mahavishnu-pool"], "args": .strings(arguments)]
        if !mounts.isEmpty { container["volumeMounts"] = Node(mounts) }
        // Ready while a broker of the pair answers; not a liveness probe, so a failover restarts no pool.
        container["readinessProbe"] = execProbe(plan.probeCommand("mahavishnu", frontends: frontends, paths: Self.paths), period: 10, failures: 3)
        var podSpec: Node = ["containers": [container], "terminationGracePeriodSeconds": 60]
        if !volumes.isEmpty { podSpec["volumes"] = Node(volumes) }
        var deployment = object("apps/v1", "Deployment", name, labels: labels(name))
        // One replica, replaced only after it stopped: two processes would register one pool name twice.
        deployment["spec"] = [
            "replicas": 1, "strategy": ["type": "Recreate"],
            "selector": ["matchLabels": labels(name)],
            "template": ["metadata": ["labels": labels(name)], "spec": podSpec],
        ]
        return deployment
    }

    private func addSettings(_ mounts: inout [Node], _ volumes: inout [Node]) {
        mounts.append(["name": "settings", "mountPath": "/etc/mahavishnu/settings", "readOnly": .flag(true)])
        volumes.append(["name": "settings", "configMap": ["name": "mahavishnu-settings"]])
    }

    private func addSecret(_ secret: String, at path: String, _ mounts: inout [Node], _ volumes: inout [Node]) {
        let volume = path.split(separator: "/").last.map(String.init) ?? secret
        mounts.append(["name": .text(volume), "mountPath": .text(path), "readOnly": .flag(true)])
        volumes.append(["name": .text(volume), "secret": ["secretName": .text(secret), "defaultMode": .number(0o400)]])
    }

    private func execProbe(_ command: [String], period: Int, failures: Int) -> Node {
        ["exec": ["command": .strings(command)], "periodSeconds": .number(period), "timeoutSeconds": 8, "failureThreshold": .number(failures)]
    }

    /// `mahavishnu-pool-NAME`, a valid object name, or a clear error.
    private func poolObjectName(_ pool: Topology.Pool) throws -> String {
        let name = "mahavishnu-pool-" + pool.name.lowercased().replacingOccurrences(of: "_", with: "-")
        guard name.isDNSLabel else {
            throw CLIError("pool '\(pool.name)': its Kubernetes name '\(name)' is not valid (lower-case letters, digits and '-', at most 63); rename the pool")
        }
        return name
    }

    // MARK: - YAML

    private func yaml(_ documents: [Node]) throws -> String {
        try documents.map { try Yams.serialize(node: $0, width: -1, sortKeys: false) }.joined(separator: "---\n")
    }
}

