#!/usr/bin/env python3
"""Push tasks through a Mahavishnu broker with pyzmq and check every result.

Speaks the MHV1 wire protocol from docs/protocol.md directly: no Mahavishnu code needed.

    python3 examples/producer.py --broker tcp://127.0.0.1:5555 --tasks 1000 --window 64
"""
import argparse
import json
import os
import sys
import time
import uuid

import zmq

VERSION = b"MHV1"


def task_frames(task_id, prompt, selector, affinity, sleep_ms=0):
    task = {"prompt": prompt}
    if sleep_ms:
        task["sleep_ms"] = sleep_ms
    body = json.dumps(task).encode()
    return [VERSION, b"TASK", task_id.encode(), selector.encode(), affinity.encode(), b"", body]


def read_key(directory, name):
    with open(os.path.join(directory, name)) as file:
        return file.read().strip().encode()


def use_curve_keys(socket, directory):
    """Authenticate with CURVE: our key pair (id.*) and the broker's public key (broker.public)."""
    secret = read_key(directory, "id.secret")
    socket.curve_secretkey = secret
    socket.curve_publickey = zmq.curve_public(secret)
    socket.curve_serverkey = read_key(directory, "broker.public")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", default="tcp://127.0.0.1:5555", help="the broker's frontend endpoint")
    parser.add_argument("--tasks", type=int, default=1000, help="how many tasks to run")
    parser.add_argument("--window", type=int, default=64, help="most tasks in flight at once")
    parser.add_argument("--selector", default="", help="least_loaded, round_robin, random or affinity (default: the broker's)")
    parser.add_argument("--affinity", default="", help="pool name or id, with --selector affinity")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for any reply before giving up")
    parser.add_argument("--sleep-ms", type=int, default=0, help="echo workers wait this long per task (to keep tasks in flight)")
    parser.add_argument("--keys", help="directory with this producer's CURVE keys (id.public, id.secret) and broker.public, for a broker that requires CURVE")
    args = parser.parse_args()

    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    if args.keys:
        use_curve_keys(socket, args.keys)
    socket.connect(args.broker)

    pending = {}  # task id -> prompt
    next_index = 0
    completed = 0
    failures = []
    pools = {}
    started = time.monotonic()

    def submit(index):
        task_id = str(uuid.uuid4())
        prompt = f"task {index} {task_id[:8]}"
        pending[task_id] = prompt
        socket.send_multipart(task_frames(task_id, prompt, args.selector, args.affinity, args.sleep_ms))

    try:
        while next_index < min(args.window, args.tasks):
            submit(next_index)
            next_index += 1
        while pending:
            if not socket.poll(int(args.timeout * 1000)):
                print(f"no reply from {args.broker} within {args.timeout} s; {len(pending)} tasks outstanding", file=sys.stderr)
                return 2
            frames = socket.recv_multipart()
            if len(frames) < 3 or frames[0] != VERSION:
                failures.append(f"malformed reply: {frames!r}")
                continue
            command, task_id = frames[1], frames[2].decode()
            if command == b"ERROR":
                code, message = frames[3].decode(), frames[4].decode()
                if code == "overloaded" and task_id in pending:
                    # Not accepted: back off and send the same task again.
                    time.sleep(0.05)
                    socket.send_multipart(task_frames(task_id, pending[task_id], args.selector, args.affinity, args.sleep_ms))
                    continue
                failures.append(f"{task_id}: {code}: {message}")
                pending.pop(task_id, None)
            elif command == b"RESULT":
                result = json.loads(frames[4])
                prompt = pending.pop(task_id, None)
                if prompt is None:
                    failures.append(f"result for an unknown task {task_id}")
                elif result.get("task_id") != task_id or result.get("status") != "completed" or result.get("output") != prompt:
                    failures.append(f"{task_id}: unexpected result {result}")
                else:
                    completed += 1
                    pools[result["pool_id"]] = pools.get(result["pool_id"], 0) + 1
            else:
                failures.append(f"unexpected command {command!r}")
                continue
            if next_index < args.tasks:
                submit(next_index)
                next_index += 1
    finally:
        socket.close()
        context.term()

    elapsed = time.monotonic() - started
    for failure in failures[:20]:
        print(failure, file=sys.stderr)
    spread = ", ".join(f"{pool}={count}" for pool, count in sorted(pools.items()))
    print(f"completed {completed}/{args.tasks} in {elapsed:.2f} s ({completed / elapsed:.0f} tasks/s); pools: {spread}", flush=True)
    return 0 if completed == args.tasks and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
