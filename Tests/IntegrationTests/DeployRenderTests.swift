import Foundation
import Testing

/// `mahavishnu deploy render`: what it writes validates offline against the Kubernetes schemas
/// (kubernetes-validate) and systemd (systemd-analyze verify); a bad topology fails with a clear error.
@Suite("Deploy render")
struct DeployRenderTests {
    /// A broker pair on two hosts with CURVE, and two pools on a third.
    static func pairTopology(keys: KeyRing, installDirectory: String, extra: String = "") -> String {
        """
        broker:
          frontend: tcp://10.0.0.10:5555
          backend: tcp://10.0.0.10:5556
          bus_pub: tcp://10.0.0.10:5557
          bus_sub: tcp://10.0.0.10:5558
          keys: \(keys.broker)
          allow: \(keys.allowList)
          pair:
            primary: tcp://10.0.0.10:5559
            backup: tcp://10.0.0.11:5559
        pools:
          - name: gpu
            min_workers: 4
            max_workers: 16
            worker_type: echo
            host: 10.0.0.12
            keys: \(keys.directory("gpu"))
          - name: cpu_batch
            min_workers: 2
            max_workers: 8
            worker_type: echo
            auto_scale: true
            host: 10.0.0.12
            keys: \(keys.directory("cpu"))
        deploy:
          image: registry.example.com/mahavishnu:0.1.0
          namespace: jobs
          probe_keys: \(keys.directory("probe"))
          install_dir: \(installDirectory)
        \(extra)
        """
    }

    static func keyRing() async throws -> KeyRing {
        let keys = try await KeyRing.make(identities: ["gpu", "cpu", "probe"])
        try keys.writeAllowList(["pool": ["gpu", "cpu"], "producer": ["probe"]])
        return keys
    }

    static func write(_ topology: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("topology-\(UUID().uuidString).yaml").path
        try topology.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func render(_ target: String, _ topology: String, out: String? = nil) async throws -> CommandOutput {
        try await runCommand(mahavishnuExecutable, ["deploy", "render", "--target", target, try write(topology)] + (out.map { ["--out", $0] } ?? []))
    }

    static var scratch: String { FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID().uuidString)").path }

    static let binaries = mahavishnuExecutable.deletingLastPathComponent().path

    @Test("kubernetes: the pair's StatefulSets and Services, a Deployment per pool, the settings and keys validate against the schemas")
    func kubernetes() async throws {
        let keys = try await Self.keyRing()
        let out = Self.scratch
        let rendered = try await Self.render("kubernetes", Self.pairTopology(keys: keys, installDirectory: Self.binaries), out: out)
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        // The settings in effect (the repository's settings/mahavishnu.yaml, where the tests run) ship as a ConfigMap.
        #expect(files == ["00-namespace.yaml", "01-settings.yaml", "02-keys.yaml", "10-mahavishnu-broker-primary.yaml", "11-mahavishnu-broker-backup.yaml",
                          "20-mahavishnu-pool-cpu-batch.yaml", "20-mahavishnu-pool-gpu.yaml"])
        let keyMode = try FileManager.default.attributesOfItem(atPath: out + "/02-keys.yaml")[.posixPermissions] as? Int
        #expect(keyMode == 0o600, "the Secret holds secret keys")

        let validation = try await runCommand(URL(fileURLWithPath: "/usr/bin/env"), ["kubernetes-validate", "--strict"] + files.map { "\(out)/\($0)" })
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")
        let passed = validation.stdout.split(separator: "\n").filter { $0.contains(" passed for resource ") }.map { $0.components(separatedBy: "resource ")[1].components(separatedBy: " ")[0] }
        #expect(Set(passed) == [
            "namespace/jobs", "configmap/mahavishnu-settings", "secret/mahavishnu-broker-keys", "secret/mahavishnu-probe-keys", "secret/mahavishnu-pool-gpu-keys",
            "secret/mahavishnu-pool-cpu-batch-keys", "service/mahavishnu-broker-primary", "statefulset/mahavishnu-broker-primary",
            "service/mahavishnu-broker-backup", "statefulset/mahavishnu-broker-backup", "deployment/mahavishnu-pool-gpu",
            "deployment/mahavishnu-pool-cpu-batch",
        ], "\(validation.stdout)")

        // The pair know each other by their Services; pools list both backends; probes run pool health.
        let primary = try String(contentsOfFile: out + "/10-mahavishnu-broker-primary.yaml", encoding: .utf8)
        #expect(primary.contains(#"- "--peer"\#n        - "tcp://mahavishnu-broker-backup.jobs.svc:5559""#), "\(primary)")
        #expect(primary.contains(#"storage: "1Gi""#) && primary.contains(#""/var/lib/mahavishnu/journal""#))
        #expect(primary.contains(#"livenessProbe:\#n          exec:\#n            command:\#n            - "mahavishnu"\#n            - "pool"\#n            - "health""#))
        let pool = try String(contentsOfFile: out + "/20-mahavishnu-pool-gpu.yaml", encoding: .utf8)
        #expect(pool.contains(#""tcp://mahavishnu-broker-primary.jobs.svc:5556,tcp://mahavishnu-broker-backup.jobs.svc:5556""#), "\(pool)")
        #expect(pool.contains("type: Recreate") && pool.contains(#"- "--min"\#n        - "4""#))
        let secrets = try String(contentsOfFile: out + "/02-keys.yaml", encoding: .utf8)
        #expect(secrets.contains(try String(contentsOfFile: keys.broker + "/broker.secret", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test("systemd: a unit per broker and the pool template pass systemd-analyze verify; each pool's options are its own")
    func systemd() async throws {
        let keys = try await Self.keyRing()
        let out = Self.scratch
        let rendered = try await Self.render("systemd", Self.pairTopology(keys: keys, installDirectory: Self.binaries), out: out)
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files == ["INSTALL.md", "mahavishnu-broker-backup.service", "mahavishnu-broker-primary.service", "mahavishnu-pool@.service",
                          "pool-cpu_batch.env", "pool-gpu.env"])
        let verify = try await runCommand(URL(fileURLWithPath: "/usr/bin/env"), ["systemd-analyze", "verify",
            "\(out)/mahavishnu-broker-primary.service", "\(out)/mahavishnu-broker-backup.service", "\(out)/mahavishnu-pool@gpu.service", "\(out)/mahavishnu-pool@cpu_batch.service"])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stderr.isEmpty, "systemd-analyze warned: \(verify.stderr)")

        let backup = try String(contentsOfFile: out + "/mahavishnu-broker-backup.service", encoding: .utf8)
        #expect(backup.contains("ExecStart=\(Self.binaries)/mahavishnu broker --frontend tcp://10.0.0.11:5555 "), "\(backup)")
        #expect(backup.contains(" --role backup --pair-bind tcp://10.0.0.11:5559 --peer tcp://10.0.0.10:5559 ") && backup.contains("Restart=on-failure"))
        let pool = try String(contentsOfFile: out + "/pool-cpu_batch.env", encoding: .utf8)
        #expect(pool.contains("MAHAVISHNU_POOL_ARGS=--name cpu_batch --type mahavishnu --min 2 --max 8 --worker-type echo --auto-scale --broker tcp://10.0.0.10:5556,tcp://10.0.0.11:5556 "), "\(pool)")
        let install = try String(contentsOfFile: out + "/INSTALL.md", encoding: .utf8)
        #expect(install.contains("## 10.0.0.12") && install.contains("sudo systemctl enable --now mahavishnu-pool@gpu.service mahavishnu-pool@cpu_batch.service"), "\(install)")
    }

    @Test("a topology with a bad value fails rendering, naming the key and what to do", arguments: [
        ("min_workers: 4", "min_workers: 0", "pools[0].min_workers", "expected a whole number, at least 1, got '0'"),
        ("backup: tcp://10.0.0.11:5559", "backup: tcp://10.0.0.10:5560", "broker.pair.backup", "a pair that shares a host fails together"),
        ("namespace: jobs", "namespace: Jobs_1", "deploy.namespace", "is not a Kubernetes name"),
        ("frontend: tcp://10.0.0.10:5555", "frontend: tcp://10.0.0.10:*", "broker.frontend", "with a fixed port"),
        ("journal_size: 1Gi", "journal_size: lots", "deploy.journal_size", "is not a size like 512Mi or 2Gi"),
    ])
    func badValue(original: String, replacement: String, key: String, message: String) async throws {
        let keys = try await Self.keyRing()
        let topology = Self.pairTopology(keys: keys, installDirectory: Self.binaries, extra: "  journal_size: 1Gi")
        #expect(topology.contains(original))
        for target in ["kubernetes", "systemd"] {
            let rendered = try await Self.render(target, topology.replacingOccurrences(of: original, with: replacement))
            #expect(rendered.status != 0)
            #expect(rendered.stdout.isEmpty, "nothing is rendered from a bad topology")
            #expect(rendered.stderr.contains(key) && rendered.stderr.contains(message), "\(rendered.stderr)")
        }
    }

    @Test("with CURVE every pool needs its keys; on Kubernetes the broker needs CURVE at all")
    func missingKeys() async throws {
        let keys = try await Self.keyRing()
        let withoutPoolKeys = Self.pairTopology(keys: keys, installDirectory: Self.binaries).replacingOccurrences(of: "    keys: \(keys.directory("gpu"))\n", with: "")
        let refused = try await Self.render("systemd", withoutPoolKeys)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("pools[0].keys: missing: with CURVE every pool needs its key directory"), "\(refused.stderr)")

        let loopback = "broker:\n  frontend: tcp://127.0.0.1:5555\n  backend: tcp://127.0.0.1:5556\npools:\n  - name: local\n    worker_type: echo\n"
        let systemd = try await Self.render("systemd", loopback)
        #expect(systemd.status == 0, "one host on loopback needs no keys: \(systemd.stderr)")
        let kubernetes = try await Self.render("kubernetes", loopback)
        #expect(kubernetes.status != 0)
        #expect(kubernetes.stderr.contains("broker.keys: missing: these brokers listen beyond loopback, which needs CURVE"), "\(kubernetes.stderr)")
    }
}
