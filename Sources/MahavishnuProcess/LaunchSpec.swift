import Foundation

/// How to start a program. There is no shell anywhere: `arguments` reach the program as they
/// are, one argument each.
package struct LaunchSpec {
    /// The program (looked up in `PATH` unless it contains a `/`) and its arguments.
    package var arguments: [String]
    /// The program's whole environment.
    package var environment: [String: String]
    /// Its working directory; `nil` for ours.
    package var workingDirectory: String?
    /// Give it a pipe to write to as standard input (else it reads `/dev/null`).
    package var pipeStandardInput: Bool
    /// Give it a pipe to read its standard output from (else it writes to `/dev/null`); default `true`.
    package var pipeStandardOutput: Bool
    /// Append its standard error to this file; `nil` (the default) gives it a pipe to read it from.
    package var standardErrorFile: String?

    package init(arguments: [String], environment: [String: String], workingDirectory: String?, pipeStandardInput: Bool,
                 pipeStandardOutput: Bool = true, standardErrorFile: String? = nil) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.pipeStandardInput = pipeStandardInput
        self.pipeStandardOutput = pipeStandardOutput
        self.standardErrorFile = standardErrorFile
    }

    /// Our own environment with `overrides` on top.
    package static func environment(overriding overrides: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(overrides) { $1 }
    }
}

/// Why a program could not be started, such as `command not found: qwen`.
package struct LaunchError: Error, CustomStringConvertible {
    package let description: String
}
