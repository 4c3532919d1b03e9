#!/usr/bin/env python3
"""The Python client against a raw pyzmq producer: round-trip p50 and windowed throughput.

Both run in the same process against the same broker and pools, alternating in slices (raw,
client, raw, client, …) within each of two runs; each figure is the median of the runs. Targets: the client's p50 within 1.3 × raw,
and its throughput at least 0.7 × raw.

    python3 bench/python_client_bench.py                      # starts a broker and two pools (release build)
    python3 bench/python_client_bench.py --broker tcp://127.0.0.1:5555   # a running deployment
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import zmq

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "clients/python"), str(ROOT / "clients/python/tests")]

from mahavishnu import Client  # noqa: E402

VERSION = b"MHV1"


def raw_frames(task_id: bytes, prompt: str):
    return [VERSION, b"TASK", task_id, b"", b"", b"", json.dumps({"prompt": prompt}).encode()]


def raw_round_trips(socket: zmq.Socket, count: int):
    """Seconds per task, one task at a time, as a plain pyzmq producer does it."""
    latencies = []
    for index in range(count):
        started = time.perf_counter()
        task_id = str(uuid.uuid4()).encode()
        socket.send_multipart(raw_frames(task_id, f"rt {index}"))
        frames = socket.recv_multipart()
        assert frames[2] == task_id and json.loads(frames[4])["status"] == "completed", frames
        latencies.append(time.perf_counter() - started)
    return latencies


def client_round_trips(client: Client, count: int):
    latencies = []
    for index in range(count):
        started = time.perf_counter()
        result = client.submit({"prompt": f"rt {index}"}).result(timeout=30)
        assert result["status"] == "completed", result
        latencies.append(time.perf_counter() - started)
    return latencies


def raw_throughput(socket: zmq.Socket, count: int, window: int) -> float:
    """Tasks per second with `window` in flight, as examples/producer.py did before the client."""
    started = time.perf_counter()
    pending = set()
    sent = received = 0
    while received < count:
        while sent < count and len(pending) < window:
            task_id = str(uuid.uuid4()).encode()
            pending.add(task_id)
            socket.send_multipart(raw_frames(task_id, f"tp {sent}"))
            sent += 1
        frames = socket.recv_multipart()
        if frames[2] in pending and json.loads(frames[4])["status"] == "completed":
            pending.discard(frames[2])
            received += 1
    return count / (time.perf_counter() - started)


def client_throughput(client: Client, count: int, window: int) -> float:
    started = time.perf_counter()
    done = 0
    for result in client.map(({"prompt": f"tp {i}"} for i in range(count)), window=window):
        assert result["status"] == "completed", result
        done += 1
    assert done == count
    return count / (time.perf_counter() - started)


def p50(latencies):
    return statistics.median(latencies)


def measure(broker: str, round_trips: int, tasks: int, window: int, runs: int, blocks: int) -> dict:
    """Median over `runs` of each figure; within a run raw and client alternate in `blocks` slices,
    so a change in the machine's load (it is shared) falls on both alike."""
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(broker)
    client = Client(broker)
    try:
        raw_round_trips(socket, 200)       # warm up both paths
        client_round_trips(client, 200)
        figures = {"raw_p50": [], "client_p50": [], "raw_tps": [], "client_tps": []}
        for run in range(runs):
            latencies = {"raw": [], "client": []}
            seconds = {"raw": 0.0, "client": 0.0}
            for _ in range(blocks):
                latencies["raw"] += raw_round_trips(socket, round_trips // blocks)
                latencies["client"] += client_round_trips(client, round_trips // blocks)
                seconds["raw"] += (tasks // blocks) / raw_throughput(socket, tasks // blocks, window)
                seconds["client"] += (tasks // blocks) / client_throughput(client, tasks // blocks, window)
            figures["raw_p50"].append(p50(latencies["raw"]))
            figures["client_p50"].append(p50(latencies["client"]))
            figures["raw_tps"].append(blocks * (tasks // blocks) / seconds["raw"])
            figures["client_tps"].append(blocks * (tasks // blocks) / seconds["client"])
            print(f"run {run + 1}: p50 raw {figures['raw_p50'][-1] * 1e6:.0f} µs, client {figures['client_p50'][-1] * 1e6:.0f} µs; "
                  f"throughput raw {figures['raw_tps'][-1]:.0f}/s, client {figures['client_tps'][-1]:.0f}/s", flush=True)
        return {key: statistics.median(values) for key, values in figures.items()}
    finally:
        client.close()
        socket.close()
        context.term()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", help="a running broker's frontend (default: start a broker and two pools)")
    parser.add_argument("--round-trips", type=int, default=3000, help="sequential round trips per run")
    parser.add_argument("--tasks", type=int, default=30000, help="tasks per throughput run")
    parser.add_argument("--window", type=int, default=128, help="tasks in flight in the throughput runs")
    parser.add_argument("--runs", type=int, default=2, help="runs; each figure is the median over them")
    parser.add_argument("--blocks", type=int, default=6, help="slices per run in which raw and client alternate")
    parser.add_argument("--workers", type=int, default=4, help="workers in each of the two pools started")
    args = parser.parse_args()

    deployment = None
    broker = args.broker
    if broker is None:
        from deployment import Deployment
        deployment = Deployment(Path(tempfile.mkdtemp(prefix="mahavishnu-bench-py-")))
        deployment.start_pool("a", args.workers)
        deployment.start_pool("b", args.workers)
        broker = deployment.frontend
    try:
        figures = measure(broker, args.round_trips, args.tasks, args.window, args.runs, args.blocks)
    finally:
        if deployment is not None:
            deployment.stop()

    latency_ratio = figures["client_p50"] / figures["raw_p50"]
    throughput_ratio = figures["client_tps"] / figures["raw_tps"]
    print(f"p50 round trip: raw {figures['raw_p50'] * 1e6:.0f} µs, client {figures['client_p50'] * 1e6:.0f} µs, "
          f"ratio {latency_ratio:.2f} (target ≤ 1.30) {'ok' if latency_ratio <= 1.3 else 'MISSED'}")
    print(f"throughput (window {args.window}): raw {figures['raw_tps']:.0f}/s, client {figures['client_tps']:.0f}/s, "
          f"ratio {throughput_ratio:.2f} (target ≥ 0.70) {'ok' if throughput_ratio >= 0.7 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
