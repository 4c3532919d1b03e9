import Foundation

/// The one line a child prints on stdout when it is ready, `<what> ready key=value …`, and how
/// the orchestrator reads it back.
enum ReadyLine {
    /// Prints `line` on stdout and flushes it at once (stdout is a pipe, not a terminal).
    static func announce(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// The `key=value` fields of a ready line.
    static func fields(_ line: String) -> [String: String] {
        var fields: [String: String] = [:]
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }
}
