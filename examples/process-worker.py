#!/usr/bin/env python3
"""A Mahavishnu `process` worker: a long-lived program that runs tasks it reads from stdin.

The protocol (docs/executors.md) is JSON lines:
  stdin:  one task per line, the producer's task object plus "task_id" and "timeout" (seconds),
          e.g. {"prompt": "Write code", "task_id": "7c9e…", "timeout": 300}
  stdout: one result per line for that task:
          {"task_id": "7c9e…", "status": "completed", "output": "…"}
          or {"task_id": "7c9e…", "status": "failed", "error": "why"}
The pool sends the next task only after the result of the previous one. Anything on stderr goes
to the pool's log. Exit when stdin ends.

This one answers with the prompt in capitals, after "sleep_ms" milliseconds if the task has it.
Define it in the settings file:

  worker_types:
    shout:
      executor: process
      command: ["python3", "examples/process-worker.py"]
"""
import json
import sys
import time


def run(task):
    """The work itself: returns the output text, or raises to fail the task."""
    time.sleep(task.get("sleep_ms", 0) / 1000)
    return task["prompt"].upper()


for line in sys.stdin:
    task = json.loads(line)
    try:
        result = {"task_id": task["task_id"], "status": "completed", "output": run(task)}
    except Exception as error:  # report the failure; keep serving
        result = {"task_id": task["task_id"], "status": "failed", "error": str(error)}
    print(json.dumps(result), flush=True)
