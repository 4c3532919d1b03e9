import MahavishnuCore

/// The systemd units of a plan: a unit per broker (`mahavishnu-broker.service`, or a pair's
/// `-primary` and `-backup`), the template `mahavishnu-pool@.service` with one environment file
/// per pool, and INSTALL.md saying which files go to which host and what to enable there.
struct SystemdUnits {
    let plan: DeploymentPlan

    /// Where the hosts keep what the processes read (INSTALL.md says what to copy there).
    static let paths = DeploymentPlan.Paths(
        settings: "/etc/mahavishnu/mahavishnu.yaml", brokerKeys: "/etc/mahavishnu/keys/broker",
        journal: "/var/lib/mahavishnu/journal", probeKeys: "/etc/mahavishnu/keys/probe", poolKeys: { "/etc/mahavishnu/keys/pool-\($0)" }
    )

    func files() -> [RenderedFile] {
        plan.brokers.map { RenderedFile(name: "\($0.name).service", text: brokerUnit($0)) }
            + [RenderedFile(name: "mahavishnu-pool@.service", text: poolTemplate)]
            + plan.pools.map { RenderedFile(name: "pool-\($0.pool.name).env", text: poolEnvironment($0.pool)) }
            + [RenderedFile(name: "INSTALL.md", text: installGuide())]
    }

    private var directory: String { plan.deploy.installDirectory }

    private func brokerUnit(_ broker: DeploymentPlan.Broker) -> String {
        let peer = plan.brokers.first { $0.name != broker.name }
        let arguments = plan.brokerArguments(broker, bindHost: broker.host, peerAddress: peer?.host, paths: Self.paths)
        let role = broker.role.map { " (\($0.rawValue) of a pair; docs/failover.md)" } ?? ""
        return """
            [Unit]
            Description=Mahavishnu broker\(role)
            After=network-online.target
            Wants=network-online.target

            [Service]
            Type=simple
            User=\(plan.deploy.user)
            StateDirectory=mahavishnu
            Environment=XDG_STATE_HOME=/var/lib
            ExecStart=\(directory)/mahavishnu \(arguments.joined(separator: " "))
            # SIGTERM drains: in-flight tasks finish or are journalled before it exits.
            KillSignal=SIGTERM
            TimeoutStopSec=60
            # A crash, or a fenced broker (it exits when its peer took over), starts again; a
            # fenced one rejoins as the passive.
            Restart=on-failure
            RestartSec=2

            [Install]
            WantedBy=multi-user.target

            """
    }

    private var poolTemplate: String {
        """
        [Unit]
        Description=Mahavishnu pool %i
        After=network-online.target
        Wants=network-online.target

        [Service]
        Type=simple
        User=\(plan.deploy.user)
        # MAHAVISHNU_POOL_ARGS: the pool's options, rendered per pool into pool-NAME.env.
        EnvironmentFile=/etc/mahavishnu/pool-%i.env
        ExecStart=\(directory)/mahavishnu-pool $MAHAVISHNU_POOL_ARGS
        KillSignal=SIGTERM
        TimeoutStopSec=120
        Restart=on-failure
        RestartSec=2

        [Install]
        WantedBy=multi-user.target

        """
    }

    private func poolEnvironment(_ pool: Topology.Pool) -> String {
        let arguments = plan.poolArguments(pool, brokerAddresses: plan.brokers.map(\.host), paths: Self.paths)
        return "# mahavishnu-pool@\(pool.name).service's options (rendered from the topology).\nMAHAVISHNU_POOL_ARGS=\(arguments.joined(separator: " "))\n"
    }

    private func installGuide() -> String {
        var hosts: [(host: String, files: [String], units: [String])] = []
        func add(_ host: String, files: [String], unit: String) {
            if let index = hosts.firstIndex(where: { $0.host == host }) {
                hosts[index].files += files.filter { !hosts[index].files.contains($0) }
                hosts[index].units.append(unit)
            } else {
                hosts.append((host, files, [unit]))
            }
        }
        let settings = plan.settings.map { ["`\($0.path)` → `\(Self.paths.settings)`"] } ?? []
        for broker in plan.brokers {
            let keys = plan.curve ? ["the broker's keys (broker.public, broker.secret, allow.yaml) → `\(Self.paths.brokerKeys)/`"] : []
            add(broker.host, files: ["`\(broker.name).service` → `/etc/systemd/system/`"] + keys + settings, unit: "\(broker.name).service")
        }
        for (pool, host) in plan.pools {
            let keys = plan.curve ? ["pool \(pool.name)'s keys (id.public, id.secret, broker.public) → `\(Self.paths.poolKeys(pool.name))/`"] : []
            add(host, files: ["`mahavishnu-pool@.service` → `/etc/systemd/system/`", "`pool-\(pool.name).env` → `/etc/mahavishnu/`"] + keys + settings,
                unit: "mahavishnu-pool@\(pool.name).service")
        }
        let sections = hosts.map { host in
            """
            ## \(host.host)

            \(host.files.map { "- \($0)" }.joined(separator: "\n"))

            ```sh
            sudo systemctl daemon-reload
            sudo systemctl enable --now \(host.units.joined(separator: " "))
            ```

            """
        }
        return """
            # Installing this deployment (rendered by `mahavishnu deploy render --target systemd`)

            Every host needs the executables (`mahavishnu`, `mahavishnu-pool`, `mahavishnu-guard`) in \
            `\(directory)/` and a `\(plan.deploy.user)` user. Key files keep mode 0600, owned by \
            `\(plan.deploy.user)`. \(plan.settings == nil ? "No settings file: every process uses the built-in defaults." : "")

            \(sections.joined(separator: "\n"))
            Check with `mahavishnu pool health --broker \(plan.brokers.map { "tcp://\($0.host):\(plan.ports.frontend)" }.joined(separator: ","))`.

            """
    }
}
