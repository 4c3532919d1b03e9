import Foundation

extension Topology {
    /// A topology's `deploy:` section: what `mahavishnu deploy render` writes into manifests and
    /// units besides the processes' own options (docs/deployment.md).
    public struct Deploy: Sendable, Equatable {
        /// Kubernetes: the container image holding `mahavishnu` and `mahavishnu-pool` on its PATH.
        public var image = "mahavishnu:latest"
        /// Kubernetes: the namespace every object goes into.
        public var namespace = "mahavishnu"
        /// Kubernetes: the size of each broker's journal volume.
        public var journalSize = "1Gi"
        /// systemd: the directory holding the executables on every host.
        public var installDirectory = "/opt/mahavishnu"
        /// systemd: the user the services run as.
        public var user = "mahavishnu"
        /// With CURVE: the key directory (id.public, id.secret, broker.public) the health probes
        /// use, a key allowed as a producer.
        public var probeKeys: String?

        public init() {}

        static func parse(_ fields: YAMLFields, relativeTo directory: URL) throws(ConfigurationError) -> Deploy {
            try fields.rejectUnknownKeys(["image", "namespace", "journal_size", "install_dir", "user", "probe_keys"])
            var deploy = Deploy()
            deploy.image = try fields.string("image") ?? deploy.image
            deploy.namespace = try fields.string("namespace") ?? deploy.namespace
            if !deploy.namespace.isDNSLabel {
                throw fields.error("namespace", "'\(deploy.namespace)' is not a Kubernetes name: lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit")
            }
            deploy.journalSize = try fields.string("journal_size") ?? deploy.journalSize
            if deploy.journalSize.range(of: #"^[0-9]+(Ki|Mi|Gi|Ti)$"#, options: .regularExpression) == nil {
                throw fields.error("journal_size", "'\(deploy.journalSize)' is not a size like 512Mi or 2Gi")
            }
            deploy.installDirectory = try fields.string("install_dir") ?? deploy.installDirectory
            if !deploy.installDirectory.hasPrefix("/") || deploy.installDirectory.contains(where: \.isWhitespace) {
                throw fields.error("install_dir", "'\(deploy.installDirectory)' is not an absolute path without spaces; systemd runs executables by absolute path")
            }
            deploy.user = try fields.string("user") ?? deploy.user
            deploy.probeKeys = try fields.path("probe_keys", relativeTo: directory)
            return deploy
        }
    }
}

extension String {
    /// A Kubernetes object name of the DNS-label kind (RFC 1123).
    public var isDNSLabel: Bool {
        count <= 63 && range(of: #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"#, options: .regularExpression) != nil
    }
}
