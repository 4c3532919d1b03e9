import Foundation
import MahavishnuCore

/// How commands print: JSON for scripts, aligned tables for people.
enum Printer {
    /// Prints `value` as pretty JSON with sorted keys.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints rows under a header, each column as wide as its widest cell.
    static func table(_ header: [String], _ rows: [[String]]) {
        for line in tableLines(header, rows) { print(line) }
    }

    /// The lines of `table(header, rows)`.
    static func tableLines(_ header: [String], _ rows: [[String]]) -> [String] {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return [line(header)] + rows.map(line)
    }

    /// Prints a task result: JSON, or a summary line and the output.
    static func result(_ result: TaskResult, json asJSON: Bool) throws {
        if asJSON { return try json(result) }
        let milliseconds = String(format: "%.2f", result.duration * 1000)
        print("task \(result.taskID) \(result.status.rawValue) on pool \(result.poolID) worker \(result.workerID) in \(milliseconds) ms (attempts: \(result.attempts ?? 1))")
        if let error = result.error { print("error: \(error)") }
        if !result.output.isEmpty { print(result.output) }
    }
}
