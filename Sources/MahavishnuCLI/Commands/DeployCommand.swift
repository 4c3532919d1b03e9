import ArgumentParser
import Foundation
import MahavishnuCommandCore
import MahavishnuCore

/// `mahavishnu deploy …`: deployments for an orchestrator, from a topology.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deploy", abstract: "Render a topology as Kubernetes manifests or systemd units.", subcommands: [DeployRender.self])
}

/// `mahavishnu deploy render --target kubernetes|systemd TOPOLOGY [--out DIR]`.
struct DeployRender: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Write the manifests (kubernetes) or units (systemd) that run a topology's brokers and pools.",
        discussion: "The settings file in effect (--settings) is shipped with them. Without --out, everything is printed. See docs/deployment.md."
    )

    enum Target: String, ExpressibleByArgument, CaseIterable { case kubernetes, systemd }

    @Option(help: "What to render for: kubernetes or systemd.")
    var target: Target

    @Argument(help: "The topology file.")
    var topology: String

    @Option(help: "Directory to write the files to (created if needed); secret files get mode 0600.")
    var out: String?

    @OptionGroup var settingsOptions: SettingsOptions

    func run() async throws {
        let settings = try settingsOptions.load()
        let deployment: Topology
        do {
            deployment = try Topology.load(file: topology, settings: settings)
        } catch {
            throw CLIError("invalid topology: \(error)", code: "invalid_topology")
        }
        let plan = try DeploymentPlan(topology: deployment, settingsFile: settingsOptions.file, needsCURVE: target == .kubernetes)
        let files = switch target {
        case .kubernetes: try KubernetesManifests(plan: plan).files()
        case .systemd: SystemdUnits(plan: plan).files()
        }
        guard let out else {
            return print(files.map { "# \($0.name)\n\($0.text)" }.joined(separator: target == .kubernetes ? "---\n" : "\n"), terminator: "")
        }
        try write(files, to: out)
        print("wrote \(files.count) files to \(out): \(files.map(\.name).joined(separator: ", "))")
    }

    private func write(_ files: [RenderedFile], to directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in files {
                let path = "\(directory)/\(file.name)"
                guard FileManager.default.createFile(atPath: path, contents: Data(file.text.utf8), attributes: [.posixPermissions: file.secret ? 0o600 : 0o644]) else {
                    throw CLIError("cannot write \(path)")
                }
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("cannot write to \(directory): \(error.localizedDescription)")
        }
    }
}
