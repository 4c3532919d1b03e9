#!/usr/bin/env python3
"""Push tasks through a Mahavishnu broker with the Python client and check every result.

Uses `mahavishnu.Client` (clients/python: `pip install -e clients/python`, needs only pyzmq),
which speaks the MHV1 wire protocol of docs/protocol.md: many tasks in flight, one result per
task, resends with the same task id if the broker restarts.

    python3 examples/producer.py --broker tcp://127.0.0.1:5555 --tasks 1000 --window 64
"""
import argparse
import concurrent.futures
import sys
import time
from pathlib import Path

try:
    import mahavishnu
except ImportError:   # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "clients/python"))
    import mahavishnu


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", default="tcp://127.0.0.1:5555", help="the broker's frontend endpoint")
    parser.add_argument("--tasks", type=int, default=1000, help="how many tasks to run")
    parser.add_argument("--window", type=int, default=64, help="most tasks in flight at once")
    parser.add_argument("--selector", default=None, help="least_loaded, round_robin, random or affinity (default: the broker's)")
    parser.add_argument("--affinity", default=None, help="pool name or id, with --selector affinity")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for any result before giving up")
    parser.add_argument("--sleep-ms", type=int, default=0, help="echo workers wait this long per task (to keep tasks in flight)")
    parser.add_argument("--keys", help="directory with this producer's CURVE keys (id.secret) and broker.public, for a broker that requires CURVE")
    args = parser.parse_args()

    def task(index):
        body = {"prompt": f"task {index}"}
        if args.sleep_ms:
            body["sleep_ms"] = args.sleep_ms
        return body

    completed, failures, pools = 0, [], {}
    started = time.monotonic()
    with mahavishnu.Client(args.broker, keys=args.keys) as client:
        try:
            results = client.map((task(i) for i in range(args.tasks)), ordered=True, window=args.window,
                                 selector=args.selector, affinity=args.affinity, timeout=args.timeout)
            for index, result in enumerate(results):
                if result.get("status") != "completed" or result.get("output") != f"task {index}":
                    failures.append(f"task {index}: unexpected result {result}")
                    continue
                completed += 1
                pools[result["pool_id"]] = pools.get(result["pool_id"], 0) + 1
        except concurrent.futures.TimeoutError:
            print(f"no result from {args.broker} within {args.timeout} s; {args.tasks - completed - len(failures)} tasks outstanding", file=sys.stderr)
            return 2
        except mahavishnu.BrokerError as error:
            failures.append(f"refused: {error}")

    elapsed = time.monotonic() - started
    for failure in failures[:20]:
        print(failure, file=sys.stderr)
    spread = ", ".join(f"{pool}={count}" for pool, count in sorted(pools.items()))
    print(f"completed {completed}/{args.tasks} in {elapsed:.2f} s ({completed / elapsed:.0f} tasks/s); pools: {spread}", flush=True)
    return 0 if completed == args.tasks and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
