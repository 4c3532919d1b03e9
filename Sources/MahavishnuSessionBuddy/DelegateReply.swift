import Foundation
import MahavishnuCore
import MahavishnuPool
import MCP

/// What a delegate service's tool answered: its text, read as JSON where it is JSON.
struct DelegateReply: Sendable {
    /// The text parts of the answer, joined.
    let text: String

    init(content: [Tool.Content]) {
        text = content.compactMap { part -> String? in
            if case .text(let text, _, _) = part { return text }
            return nil
        }.joined(separator: "\n")
    }

    /// The answer as a JSON object, if it is one.
    var object: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// The worker ids a `worker_spawn` answered: `{"worker_ids": [...]}` or a bare list.
    func workerIDs() throws -> [String] {
        let json = try? JSONSerialization.jsonObject(with: Data(text.utf8))
        if let ids = (json as? [String: Any])?["worker_ids"] as? [String] ?? json as? [String] { return ids }
        throw DelegateError("worker_spawn answered no worker ids (expected {\"worker_ids\": [...]}): \(text.prefix(200))")
    }

    /// A `worker_execute` answer as an outcome: a result object's `status`, `output` and `error`,
    /// else the whole text as the output of a completed task.
    func outcome() -> ExecutionOutcome {
        guard let object, let status = (object["status"] as? String).flatMap(TaskStatus.init(rawValue:)) else {
            return ExecutionOutcome(status: .completed, output: text)
        }
        return ExecutionOutcome(status: status, output: object["output"] as? String ?? "", error: object["error"] as? String)
    }
}
