#!/usr/bin/env bash
# Measures what the memory store absorbs: starts a release broker (memory on, no pools) on
# loopback ports the OS picks, publishes RATE task_completed events a second for SECONDS
# straight to its bus (pyzmq, 4 publishers, the wire format of docs/protocol.md), stops it,
# and prints `memory stats`, the best seconds' store rates and the store lag (completed →
# write started). Needs `swift build -c release`, python3 with pyzmq, and sqlite3.
#
#   scripts/memory-flood.sh 40000 40
set -euo pipefail
rate=${1:?usage: scripts/memory-flood.sh RATE SECONDS}
seconds=${2:?usage: scripts/memory-flood.sh RATE SECONDS}
bin="$(cd "$(dirname "$0")/.." && pwd)/.build/release/mahavishnu"
work=$(mktemp -d)
db="$work/memory.sqlite"
cd "$work"
"$bin" broker --frontend 'tcp://127.0.0.1:*' --backend 'tcp://127.0.0.1:*' --http 127.0.0.1:0 --bus-pub 'tcp://127.0.0.1:*' \
    --bus-sub 'tcp://127.0.0.1:*' --memory-database "$db" > broker.log 2>&1 &
broker=$!
trap 'kill -TERM $broker 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "broker ready" broker.log && break; sleep 0.1; done
pub=$(grep -o "bus_pub=[^ ]*" broker.log | head -1 | cut -d= -f2)

python3 - "$pub" "$rate" "$seconds" <<'EOF'
import sys, time, zmq
endpoint, rate, seconds, publishers = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), 4
context = zmq.Context()
sockets = []
for _ in range(publishers):
    socket = context.socket(zmq.PUB); socket.setsockopt(zmq.SNDHWM, 100000); socket.connect(endpoint); sockets.append(socket)
time.sleep(1.0)  # ZeroMQ's slow joiner: let the connections come up
ids = [f"pool_flood{p}#1".encode() for p in range(publishers)]
headers = ['{"source_pool_id":"pool_flood%d","timestamp":%%f,"type":"task_completed"}' % p for p in range(publishers)]
payloads = ['{"completed_at":%%f,"duration":0.0001,"output":"echo routine task number %%d done","pool_id":"pool_flood%d",'
            '"pool_name":"flood%d","prompt":"routine task number %%d","started_at":%%f,"status":"completed",'
            '"task_id":"flood-%%d","worker_id":"pool_flood%d.w0"}' % (p, p, p) for p in range(publishers)]
sequences = [0] * publishers
total, sent, start = int(rate * seconds), 0, time.time()
while sent < total:
    due, now = int((time.time() - start) * rate), time.time()
    while sent < min(due, total):
        p = sent % publishers; sequences[p] += 1
        sockets[p].send_multipart([b"task_completed//", b"MHV1", ids[p], b"%d" % sequences[p], (headers[p] % now).encode(),
                                   (payloads[p] % (now, sent, sent, now, sent)).encode()])
        sent += 1
    time.sleep(0.0005)
print(f"sent {sent} in {time.time() - start:.1f} s = {sent / (time.time() - start):.0f}/s", flush=True)
time.sleep(0.5)
EOF

last=""
for _ in $(seq 120); do sleep 1; n=$(sqlite3 "$db" "SELECT COUNT(*) FROM memory_record"); [ "$n" = "$last" ] && break; last=$n; done
kill -TERM $broker; wait $broker || true
"$bin" memory stats --database "$db"
echo "best seconds (results stored): $(sqlite3 "$db" "SELECT COUNT(*) FROM memory_record GROUP BY CAST(stored_at AS INT) ORDER BY 1 DESC LIMIT 3" | tr '\n' ' ')"
sqlite3 "$db" "WITH l AS (SELECT (stored_at - completed_at) * 1000 AS ms FROM memory_record ORDER BY ms)
  SELECT printf('store lag ms: p50 %.0f  p99 %.0f  max %.0f', (SELECT ms FROM l LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM l)),
    (SELECT ms FROM l LIMIT 1 OFFSET (SELECT COUNT(*) * 99 / 100 FROM l)), (SELECT MAX(ms) FROM l))"
echo "'memory store is behind' warnings: $(grep -c "memory store is behind" broker.log || true)"
