import Foundation

/// Settings with a worker type `streamer`: a `process` worker that sends `parts` partial outputs
/// (`part 0`, `part 1`, …) for every task, then its result, `done`.
func streamerSettings(parts: Int) throws -> String {
    let script = try temporaryFile("streamer", suffix: ".py", """
        import json, sys
        for line in sys.stdin:
            task = json.loads(line)
            for i in range(\(parts)):
                print(json.dumps({"task_id": task["task_id"], "partial": f"part {i}"}), flush=True)
            print(json.dumps({"task_id": task["task_id"], "output": "done"}), flush=True)
        """)
    return "worker_types:\n  streamer: {executor: process, command: [python3, \"\(script)\"]}\n"
}
