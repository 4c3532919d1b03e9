import Foundation
import Mahavishnu
import Testing

/// `mahavishnu top` in a real terminal: tmux runs it, and its screen is read back with capture-pane.
@Suite("mahavishnu top", .serialized)
struct TopTests {
    static let tmux = URL(fileURLWithPath: "/usr/bin/tmux")

    @Test("under tmux, top shows every pool and redraws its completed count after tasks run")
    func topRedraws() async throws {
        try await Deployment.with(pools: [("top-alpha", 1), ("top-beta", 2)]) { deployment in
            // A tmux server of its own (-L), killed by name at the end with everything it runs.
            let server = ["-L", "mahavishnu-top-\(UUID().uuidString.prefix(8))"]
            let command = "\(mahavishnuExecutable.path) top --broker \(deployment.frontend) --interval 0.2"
            let started = try await runCommand(Self.tmux, server + ["new-session", "-d", "-s", "top", "-x", "160", "-y", "30", command])
            #expect(started.status == 0, "\(started.stderr)")
            do {
                let screen = { @Sendable in try await runCommand(Self.tmux, server + ["capture-pane", "-p", "-t", "top"]).stdout }
                try await waitUntil("top to show both pools") {
                    let shown = try await screen()
                    return shown.contains("top-alpha") && shown.contains("top-beta") && shown.contains("completed 0")
                }
                let results = try await deployment.submit(count: 9, window: 3, selector: nil)
                #expect(results.allSatisfy { $0.status == .completed })
                try await waitUntil("top to redraw with 9 completed") { try await screen().contains("completed 9") }
                let last = try await screen()
                #expect(last.contains("POOL") && last.contains("healthy") && last.components(separatedBy: "mahavishnu top").count == 2,
                        "one screen, redrawn in place: \(last)")
            } catch {
                _ = try? await runCommand(Self.tmux, server + ["kill-server"])
                throw error
            }
            let killed = try await runCommand(Self.tmux, server + ["kill-server"])
            #expect(killed.status == 0, "\(killed.stderr)")
        }
    }
}
